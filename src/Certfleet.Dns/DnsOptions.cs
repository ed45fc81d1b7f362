using Certfleet.Configuration;

namespace Certfleet.Dns;

/// <summary>
/// How long and how often to wait for DNS-01 records to reach every authoritative nameserver. The nameservers
/// are asked at once, again after <see cref="FirstInterval"/>, then the wait doubles up to <paramref name="Interval"/>.
/// </summary>
public sealed record PropagationOptions(TimeSpan Timeout, TimeSpan Interval, IReadOnlyList<DnsServerEndpoint> Nameservers)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);
    // Half a second keeps the wait after a late publication short (the D + 2 s target) at two queries a second per nameserver.
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan DefaultFirstInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The wait before the second round; never longer than <see cref="Interval"/>.</summary>
    public TimeSpan FirstInterval { get; init; } = DefaultFirstInterval;

    public static PropagationOptions Default { get; } = new(DefaultTimeout, DefaultInterval, []);
}

/// <summary>The common part of the <c>dns:</c> section (the providers are read by <see cref="DnsProviderRegistry"/>).</summary>
public sealed record DnsOptions(IReadOnlyList<DnsServerEndpoint> Resolvers, PropagationOptions Propagation, TimeSpan CleanupTimeout)
{
    public static readonly TimeSpan DefaultCleanupTimeout = TimeSpan.FromMinutes(2);

    public static DnsOptions Default { get; } = new([], PropagationOptions.Default, DefaultCleanupTimeout);

    public static ConfigKey TimeoutKey { get; } = new(
        "timeout",
        ConfigValueKind.Duration,
        "How long to wait for every authoritative nameserver to serve every challenge value before giving up on the order. Some providers publish within seconds, others take minutes.",
        Default: "10m",
        Example: "5m");

    public static ConfigKey IntervalKey { get; } = new(
        "interval",
        ConfigValueKind.Duration,
        "The longest wait between two rounds of queries to the nameservers. The first round goes out as soon as the records are written, the next after 250 ms, and the wait then doubles up to this interval, so a record is seen within about this long after it appears. One query per nameserver and round.",
        Default: "500ms",
        Example: "5s");

    public static ConfigKey NameserversKey { get; } = new(
        "nameservers",
        ConfigValueKind.StringList,
        "Nameservers (host:port, port 53 when omitted) to check instead of the zone's authoritative nameservers. Leave empty to discover them from the zone's NS records; set it for split-horizon setups or test labs.",
        Example: "[ns1.example.com:53, 192.0.2.53]");

    public static ConfigSectionSchema PropagationSchema { get; } = new(
        "dns.propagation",
        "When a DNS-01 value counts as published: certfleet asks each authoritative nameserver of the zone directly (no recursion, so no cache) and answers the ACME challenge only once every one serves every value, since the CA validates from several places.",
        [TimeoutKey, IntervalKey, NameserversKey]);

    public static ConfigKey ResolversKey { get; } = new(
        "resolvers",
        ConfigValueKind.StringList,
        "Recursive resolvers (host:port) used to look up zones (SOA), their NS records and the nameservers' addresses. Empty: the system's resolvers from /etc/resolv.conf.",
        Example: "[127.0.0.1:53]");

    public static ConfigKey PropagationKey { get; } = new(
        "propagation",
        ConfigValueKind.Section,
        "How to wait for challenge records to be published; see dns.propagation.",
        SectionPath: "dns.propagation");

    public static ConfigKey CleanupTimeoutKey { get; } = new(
        "cleanupTimeout",
        ConfigValueKind.Duration,
        "How long removing challenge records may take after an order, also when the run was cancelled. Records left behind are removed by the next run.",
        Default: "2m",
        Example: "1m");

    public static ConfigKey ProvidersKey { get; } = new(
        "providers",
        ConfigValueKind.NamedSections,
        "The DNS providers, by a name of your choice that certificates refer to. Each has a type: (rfc2136, ovh, ...) and the keys of that type.",
        Required: false,
        SectionPath: "dns.providers.<name>");

    public static ConfigSectionSchema Schema { get; } = new(
        "dns",
        "DNS-01 challenges: where records are written (providers) and how certfleet checks they are published.",
        [ProvidersKey, PropagationKey, ResolversKey, CleanupTimeoutKey]);

    /// <summary>Every schema of the common part, for the generated reference.</summary>
    public static IReadOnlyList<ConfigSectionSchema> Schemas { get; } = [Schema, PropagationSchema];

    /// <summary>Reads the <c>dns:</c> section (null when absent); problems are recorded in its errors.</summary>
    public static DnsOptions Read(ConfigNode? dns)
    {
        if (dns is null)
        {
            return Default;
        }

        dns.RejectUnknownKeys(Schema);
        var resolvers = ReadEndpoints(dns, ResolversKey);
        var cleanup = dns.GetPositiveDuration(CleanupTimeoutKey) ?? DefaultCleanupTimeout;

        var propagation = PropagationOptions.Default;
        if (dns.GetSection(PropagationKey) is { } p)
        {
            p.RejectUnknownKeys(PropagationSchema);
            var timeout = p.GetPositiveDuration(TimeoutKey) ?? PropagationOptions.DefaultTimeout;
            var interval = p.GetPositiveDuration(IntervalKey) ?? PropagationOptions.DefaultInterval;
            if (interval > timeout)
            {
                p.AddError(IntervalKey, $"the interval ({DurationParser.Format(interval)}) is longer than the timeout ({DurationParser.Format(timeout)}); make it shorter");
            }

            propagation = new PropagationOptions(timeout, interval, ReadEndpoints(p, NameserversKey));
        }

        return new DnsOptions(resolvers, propagation, cleanup);
    }

    private static List<DnsServerEndpoint> ReadEndpoints(ConfigNode node, ConfigKey key)
    {
        var result = new List<DnsServerEndpoint>();
        foreach (var (text, location) in node.GetStringList(key))
        {
            if (DnsServerEndpoint.TryParse(text, 53, out var endpoint, out var error))
            {
                result.Add(endpoint);
            }
            else
            {
                node.Errors.Add(location, $"{(node.Path.Length == 0 ? "" : node.Path + ".")}{key.Name}: {error}");
            }
        }

        return result;
    }
}
