using System.Text.Json;
using System.Text.Json.Serialization;

namespace Certfleet.OvhSimulator;

/// <summary>An access rule of a consumer key: a method and a path pattern where <c>*</c> matches anything.</summary>
public sealed record SimRule(string Method, string Path);

/// <summary>A consumer key known to the simulator.</summary>
/// <param name="State">validated, pendingValidation, expired or refused.</param>
public sealed record SimConsumerKey(string ConsumerKey, string State, IReadOnlyList<SimRule> Rules, DateTimeOffset? Expiration = null);

/// <summary>An application (key + secret) and its consumer keys.</summary>
public sealed record SimApplication(string ApplicationKey, string ApplicationSecret, IReadOnlyList<SimConsumerKey> ConsumerKeys);

/// <summary>A service account for OAuth2 client credentials; null rules means every call is allowed.</summary>
public sealed record SimOAuthClient(string ClientId, string ClientSecret, IReadOnlyList<SimRule>? Rules = null);

/// <summary>A record as the API holds it.</summary>
public sealed record SimRecord(long Id, string Zone, string SubDomain, string FieldType, string Target, int Ttl);

/// <summary>A zone of the account; records listed here exist (and are published) from the start.</summary>
public sealed record SimZone(string Name, IReadOnlyList<string>? NameServers = null, IReadOnlyList<SimRecordSeed>? Records = null);

/// <summary>A record present from the start, e.g. a CNAME or a TXT made in OVH's web UI (quoted target).</summary>
public sealed record SimRecordSeed(string SubDomain, string FieldType, string Target, int Ttl = 3600);

/// <summary>Which body shape authentication errors use; OVH answers both, depending on the call and the age of the API.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SimErrorShape>))]
public enum SimErrorShape
{
    /// <summary><c>{"errorCode","httpCode","message"}</c>.</summary>
    ErrorCode,

    /// <summary><c>{"class","message","details"}</c>.</summary>
    Class,
}

/// <summary>Everything the simulator is started with. Loadable from JSON (camelCase) with <see cref="Load"/>.</summary>
public sealed record SimulatorOptions
{
    /// <summary>Listen URL; port 0 picks a free port (see <see cref="OvhSimulator.Root"/>).</summary>
    public string Url { get; init; } = "http://127.0.0.1:0";

    /// <summary>The BIND server receiving RFC 2136 updates on refresh, as host:port; null publishes nowhere.</summary>
    public string? BindServer { get; init; }

    /// <summary>A BIND key file (key "name" { algorithm ...; secret "..."; };) given to <c>nsupdate -k</c>.</summary>
    public string? TsigKeyFile { get; init; }

    /// <summary>Time between a refresh and its changes reaching BIND.</summary>
    public TimeSpan PublicationDelay { get; init; }

    /// <summary>Share of /1.0 calls answered 500 before anything else (0 to 1).</summary>
    public double FailureRate { get; init; }

    /// <summary>Added to the real clock: what /auth/time answers and what timestamps are checked against.</summary>
    public TimeSpan ClockSkew { get; init; }

    /// <summary>Allowed |X-Ovh-Timestamp − server time|.</summary>
    public TimeSpan TimeWindow { get; init; } = TimeSpan.FromSeconds(30);

    public SimErrorShape AuthErrorShape { get; init; } = SimErrorShape.ErrorCode;

    /// <summary>Seed of the fault generator, for repeatable runs.</summary>
    public int? Seed { get; init; }

    public IReadOnlyList<SimApplication> Applications { get; init; } = [];

    public IReadOnlyList<SimOAuthClient> OAuthClients { get; init; } = [];

    public IReadOnlyList<SimZone> Zones { get; init; } = [];

    /// <summary>Clock of the simulator (before skew); the system clock by default.</summary>
    [JsonIgnore]
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Reads options from a JSON file (same property names, camelCase; durations as "00:00:05").</summary>
    public static SimulatorOptions Load(string path) =>
        JsonSerializer.Deserialize<SimulatorOptions>(File.ReadAllText(path), Json) ?? new SimulatorOptions();
}
