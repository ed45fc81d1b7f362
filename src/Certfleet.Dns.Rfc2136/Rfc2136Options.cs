using Certfleet.Configuration;
using Certfleet.Dns;

namespace Certfleet.Dns.Rfc2136;

/// <summary>A provider that sends RFC 2136 dynamic updates signed with TSIG (RFC 8945) to a primary server.</summary>
public sealed record Rfc2136Options(
    DnsServerEndpoint Server,
    string TsigKeyName,
    string TsigAlgorithm,
    Secret TsigSecret,
    string? Zone,
    int Ttl,
    TimeSpan Timeout)
{
    public const string TypeName = "rfc2136";

    public static IReadOnlyList<string> Algorithms { get; } = ["hmac-sha256", "hmac-sha384", "hmac-sha512"];

    public static ConfigKey ServerKey { get; } = new(
        "server",
        ConfigValueKind.String,
        "The primary DNS server that accepts dynamic updates, as host:port (port 53 when omitted).",
        Example: "ns1.example.com:53",
        Required: true);

    public static ConfigKey TsigKeyNameKey { get; } = new(
        "tsigKeyName",
        ConfigValueKind.String,
        "The name of the TSIG key, as in the server's key statement (BIND: key \"NAME\" { ... }).",
        Example: "certfleet",
        Required: true);

    public static ConfigKey TsigAlgorithmKey { get; } = new(
        "tsigAlgorithm",
        ConfigValueKind.String,
        "The TSIG algorithm of the key.",
        Default: "hmac-sha256",
        Example: "hmac-sha512",
        Allowed: Algorithms);

    public static ConfigKey TsigSecretKey { get; } = new(
        "tsigSecret",
        ConfigValueKind.Secret,
        "The key's secret in base64, as the server's key statement has it (tsig-keygen prints one). Prefer env:NAME or file:PATH to a literal.",
        Example: "file:/etc/certfleet/tsig.secret",
        Required: true);

    public static ConfigKey ZoneKey { get; } = new(
        "zone",
        ConfigValueKind.String,
        "The zone to update. Leave it out to find each name's zone by asking the server for SOA records.",
        Example: "example.com");

    public static ConfigKey TtlKey { get; } = new(
        "ttl",
        ConfigValueKind.Integer,
        "TTL in seconds of the challenge records; short, since they live only minutes.",
        Default: "60",
        Example: "120");

    public static ConfigKey TimeoutKey { get; } = new(
        "timeout",
        ConfigValueKind.Duration,
        "How long to wait for the server's answer to one update or query.",
        Default: "10s",
        Example: "30s");

    public static ConfigSectionSchema Schema { get; } = new(
        "dns.providers.<name> (type: rfc2136)",
        "Writes challenge records with DNS UPDATE (RFC 2136) signed with a TSIG key (RFC 8945): BIND, Knot, PowerDNS and others. The key needs the right to update TXT records at _acme-challenge names of the zone (BIND: update-policy { grant KEY name _acme-challenge.example.com. TXT; };).",
        [DnsProviderRegistry.TypeKey(TypeName), ServerKey, TsigKeyNameKey, TsigAlgorithmKey, TsigSecretKey, ZoneKey, TtlKey, TimeoutKey]);

    /// <summary>Reads and validates a provider section; records every problem and returns null when invalid.</summary>
    public static Rfc2136Options? Read(ConfigNode section)
    {
        var before = section.Errors.All.Count;
        section.RejectUnknownKeys(Schema);
        section.GetString(Schema["type"]);

        DnsServerEndpoint? server = null;
        if (section.GetString(ServerKey) is { } serverText)
        {
            if (DnsServerEndpoint.TryParse(serverText, 53, out var endpoint, out var error))
            {
                server = endpoint;
            }
            else
            {
                section.AddError(ServerKey, error);
            }
        }

        var keyName = section.GetString(TsigKeyNameKey);
        if (keyName is not null && !IsKeyName(keyName.TrimEnd('.')))
        {
            section.AddError(TsigKeyNameKey, $"'{keyName}' is not a valid key name; use letters, digits, hyphens and dots");
        }

        var algorithm = section.GetString(TsigAlgorithmKey);
        var secret = section.GetSecret(TsigSecretKey);
        if (secret is not null && !IsBase64(secret.Reveal()))
        {
            section.AddError(TsigSecretKey, $"the secret (from {secret.Source}) is not base64; copy the secret \"...\" value of the server's key statement");
        }

        string? zone = null;
        if (section.Has(ZoneKey) && section.GetString(ZoneKey) is { } zoneText)
        {
            if (Certfleet.Dns.DomainName.TryParse(zoneText, out var z, out var error) && !z.IsWildcard)
            {
                zone = z.Value;
            }
            else
            {
                section.AddError(ZoneKey, error ?? $"'{zoneText}' is a wildcard; write the zone apex, e.g. example.com");
            }
        }

        var ttl = section.GetInt(TtlKey, 1, 86400);
        var timeout = section.GetPositiveDuration(TimeoutKey);

        if (section.Errors.All.Count > before || server is null || keyName is null || algorithm is null || secret is null || ttl is null || timeout is null)
        {
            return null;
        }

        return new Rfc2136Options(server, keyName.TrimEnd('.').ToLowerInvariant(), algorithm, secret, zone, ttl.Value, timeout.Value);
    }

    // A key name is a domain name (RFC 8945 §4.2); BIND's tsig-keygen names also use underscores.
    private static bool IsKeyName(string name) =>
        name.Length is > 0 and <= 253 && name.Split('.').All(l => l.Length is > 0 and <= 63 && l.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));

    private static bool IsBase64(string text)
    {
        var buffer = new byte[text.Length];
        return text.Length > 0 && Convert.TryFromBase64String(text, buffer, out var written) && written > 0;
    }
}
