using System.Security.Cryptography;

namespace Certfleet.OvhSimulator;

/// <summary>A consumer key as it lives in the simulator (mutable: validation changes it).</summary>
internal sealed class ConsumerKeyState
{
    public required string ApplicationKey { get; init; }
    public required string ConsumerKey { get; init; }
    public required string CredentialToken { get; init; }
    public required List<SimRule> Rules { get; init; }
    public string State { get; set; } = "pendingValidation";
    public DateTimeOffset Creation { get; init; }
    public DateTimeOffset? Expiration { get; set; }
    public long CredentialId { get; init; }
}

internal sealed class ZoneState
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> NameServers { get; init; }
    public Dictionary<long, SimRecord> Records { get; } = [];
    public List<SimRecord> Published { get; set; } = [];
    public DateTimeOffset LastUpdate { get; set; }
}

/// <summary>All mutable state, guarded by <see cref="Gate"/>.</summary>
internal sealed class SimulatorState
{
    private long _nextId = 1553659745;
    private long _nextCredential = 100;

    public SimulatorState(SimulatorOptions options)
    {
        FailureRate = options.FailureRate;
        ClockSkew = options.ClockSkew;
        PublicationDelay = options.PublicationDelay;
        TimeWindow = options.TimeWindow;
        AuthErrorShape = options.AuthErrorShape;
        Random = options.Seed is { } seed ? new Random(seed) : new Random();
        foreach (var app in options.Applications)
        {
            Applications[app.ApplicationKey] = app.ApplicationSecret;
            foreach (var ck in app.ConsumerKeys)
            {
                AddConsumerKey(app.ApplicationKey, ck, options.TimeProvider.GetUtcNow());
            }
        }

        foreach (var client in options.OAuthClients)
        {
            OAuthClients[client.ClientId] = client;
        }

        foreach (var zone in options.Zones)
        {
            var z = new ZoneState { Name = zone.Name.ToLowerInvariant().TrimEnd('.'), NameServers = zone.NameServers ?? [DefaultNameServer(options.BindServer)] };
            foreach (var r in zone.Records ?? [])
            {
                var id = NextId();
                z.Records[id] = new SimRecord(id, z.Name, r.SubDomain, r.FieldType, r.Target, r.Ttl);
            }

            Zones[z.Name] = z;
        }
    }

    /// <summary>The BIND server itself; its port is dropped when it is 53, as a nameserver list has none.</summary>
    private static string DefaultNameServer(string? bind) =>
        bind is null ? "ns1.simulator.invalid" : bind.EndsWith(":53", StringComparison.Ordinal) ? bind[..^3] : bind;

    public object Gate { get; } = new();
    public Random Random { get; }
    public double FailureRate { get; set; }
    public TimeSpan ClockSkew { get; set; }
    public TimeSpan PublicationDelay { get; set; }
    public TimeSpan TimeWindow { get; set; }
    public SimErrorShape AuthErrorShape { get; set; }
    public long Calls { get; set; }
    public long InjectedFailures { get; set; }
    public int PendingPublications { get; set; }
    public Dictionary<string, string> Applications { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, ConsumerKeyState> ConsumerKeys { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, SimOAuthClient> OAuthClients { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, (SimOAuthClient Client, DateTimeOffset Expires)> Tokens { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, ZoneState> Zones { get; } = new(StringComparer.OrdinalIgnoreCase);

    public long NextId() => Interlocked.Increment(ref _nextId);

    public ConsumerKeyState AddConsumerKey(string applicationKey, SimConsumerKey ck, DateTimeOffset now)
    {
        var state = new ConsumerKeyState
        {
            ApplicationKey = applicationKey,
            ConsumerKey = ck.ConsumerKey,
            CredentialToken = RandomToken(32),
            Rules = [.. ck.Rules],
            State = ck.State,
            Creation = now,
            Expiration = ck.Expiration,
            CredentialId = Interlocked.Increment(ref _nextCredential),
        };
        ConsumerKeys[ck.ConsumerKey] = state;
        return state;
    }

    public static string RandomToken(int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(length, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
            }
        });
    }
}
