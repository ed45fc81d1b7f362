using Certfleet.Configuration;

namespace Certfleet.Engine.Renewal;

/// <summary>One rate limit: at most <see cref="Count"/> events in any <see cref="Window"/>.</summary>
public sealed record RateLimit(int Count, TimeSpan Window);

/// <summary>The CA's limits certfleet keeps below, from its own history. Defaults: Let's Encrypt production.</summary>
public sealed record RateLimitSettings(
    bool Enabled,
    RateLimit OrdersPerAccount,
    RateLimit CertificatesPerDomain,
    RateLimit DuplicateCertificates,
    RateLimit AuthorizationFailuresPerName)
{
    public static RateLimitSettings LetsEncrypt { get; } = new(
        true,
        new RateLimit(300, TimeSpan.FromHours(3)),
        new RateLimit(50, TimeSpan.FromDays(7)),
        new RateLimit(5, TimeSpan.FromDays(7)),
        new RateLimit(5, TimeSpan.FromHours(1)));
}

/// <summary>The CAA preflight (RFC 8659, RFC 8657).</summary>
public sealed record CaaSettings(bool Enabled, IReadOnlyList<string>? Identities, IReadOnlyList<Certfleet.Dns.DnsServerEndpoint> Nameservers)
{
    public static CaaSettings Default { get; } = new(true, null, []);
}

/// <summary>The <c>renewal:</c> section.</summary>
public sealed record RenewalSettings(
    TimeSpan CheckInterval,
    TimeSpan Backoff,
    TimeSpan BackoffMax,
    int WarnDays,
    RateLimitSettings RateLimits,
    CaaSettings Caa)
{
    public static RenewalSettings Default { get; } = new(TimeSpan.FromHours(12), TimeSpan.FromHours(1), TimeSpan.FromDays(1), 7, RateLimitSettings.LetsEncrypt, CaaSettings.Default);

    /// <summary>Back-off after <paramref name="failures"/> consecutive failures: doubling from <see cref="Backoff"/>, capped at <see cref="BackoffMax"/>.</summary>
    public TimeSpan BackoffAfter(int failures)
    {
        if (failures <= 0)
        {
            return TimeSpan.Zero;
        }

        var factor = Math.Pow(2, Math.Min(failures - 1, 30));
        var ticks = Math.Min(Backoff.Ticks * factor, BackoffMax.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}

/// <summary>The <c>history:</c> section.</summary>
public sealed record HistorySettings(TimeSpan Retention)
{
    public static HistorySettings Default { get; } = new(Certfleet.Store.HistoryStore.DefaultRetention);
}

/// <summary>Keys of the <c>renewal:</c> and <c>history:</c> sections, and their reading.</summary>
public static class RenewalSchema
{
    public static readonly ConfigKey Renewal = new("renewal", ConfigValueKind.Section,
        "When certificates are renewed, back-off after failures, the CA's rate limits and the CAA preflight.", SectionPath: "renewal");
    public static readonly ConfigKey History = new("history", ConfigValueKind.Section, "The run history in stateDir/history.db.", SectionPath: "history");

    public static readonly ConfigKey CheckInterval = new("checkInterval", ConfigValueKind.Duration,
        "How often 'certfleet run' checks for due certificates; also what 'status' and 'renew' compare certificate lifetimes against (an installed timer runs twice a day).",
        Default: "12h", Example: "6h");
    public static readonly ConfigKey Backoff = new("backoff", ConfigValueKind.Duration,
        "Wait after a certificate's first failed renewal; doubled after each further failure.", Default: "1h", Example: "30m");
    public static readonly ConfigKey BackoffMax = new("backoffMax", ConfigValueKind.Duration,
        "Longest wait between failed attempts.", Default: "1d", Example: "12h");
    public static readonly ConfigKey WarnDays = new("warnDays", ConfigValueKind.Integer,
        "Warn (notify) when a certificate has fewer than this many days left without a successful renewal; for short lifetimes, a quarter of the lifetime when smaller.",
        Default: "7", Example: "10");
    public static readonly ConfigKey RateLimits = new("rateLimits", ConfigValueKind.Section,
        "The CA's rate limits, kept from certfleet's own history (default: Let's Encrypt production).", SectionPath: "renewal.rateLimits");
    public static readonly ConfigKey Caa = new("caa", ConfigValueKind.Section, "CAA preflight before ordering.", SectionPath: "renewal.caa");

    public static readonly ConfigSectionSchema RenewalSection = new("renewal", "Renewal policy.", [CheckInterval, Backoff, BackoffMax, WarnDays, RateLimits, Caa]);

    public static readonly ConfigKey Enabled = new("enabled", ConfigValueKind.Boolean, "Refuse orders that would exceed the limits below.", Default: "true");
    public static readonly ConfigKey OrdersPerAccount = new("ordersPerAccount", ConfigValueKind.Integer, "New orders per account per ordersWindow.", Default: "300");
    public static readonly ConfigKey OrdersWindow = new("ordersWindow", ConfigValueKind.Duration, "Window of ordersPerAccount.", Default: "3h");
    public static readonly ConfigKey CertificatesPerDomain = new("certificatesPerDomain", ConfigValueKind.Integer,
        "Certificates per registered domain per certificatesPerDomainWindow (the registered domain is taken as the last two labels, which over-counts under public suffixes such as co.uk).", Default: "50");
    public static readonly ConfigKey CertificatesPerDomainWindow = new("certificatesPerDomainWindow", ConfigValueKind.Duration, "Window of certificatesPerDomain.", Default: "7d");
    public static readonly ConfigKey DuplicateCertificates = new("duplicateCertificates", ConfigValueKind.Integer, "Certificates for the exact same set of names per duplicateWindow.", Default: "5");
    public static readonly ConfigKey DuplicateWindow = new("duplicateWindow", ConfigValueKind.Duration, "Window of duplicateCertificates.", Default: "7d");
    public static readonly ConfigKey AuthorizationFailures = new("authorizationFailures", ConfigValueKind.Integer, "Failed authorizations per name per authorizationFailuresWindow.", Default: "5");
    public static readonly ConfigKey AuthorizationFailuresWindow = new("authorizationFailuresWindow", ConfigValueKind.Duration, "Window of authorizationFailures.", Default: "1h");

    public static readonly ConfigSectionSchema RateLimitsSection = new("renewal.rateLimits",
        "Limits per window; ARI renewals (orders carrying 'replaces') are exempt, as at Let's Encrypt.",
        [Enabled, OrdersPerAccount, OrdersWindow, CertificatesPerDomain, CertificatesPerDomainWindow, DuplicateCertificates, DuplicateWindow, AuthorizationFailures, AuthorizationFailuresWindow]);

    public static readonly ConfigKey CaaEnabled = new("enabled", ConfigValueKind.Boolean,
        "Check the names' CAA records (RFC 8659, RFC 8657) before ordering and refuse names the CA may not issue for.", Default: "true");
    public static readonly ConfigKey CaaIdentities = new("identities", ConfigValueKind.StringList,
        "Issuer domain names of the CA as CAA records name it; default: the directory's caaIdentities (letsencrypt.org for Let's Encrypt).", Example: "[letsencrypt.org]");
    public static readonly ConfigKey CaaNameservers = new("nameservers", ConfigValueKind.StringList,
        "Recursive resolvers asked for CAA records; default: the system's.", Example: "[\"127.0.0.1:53\"]");

    public static readonly ConfigSectionSchema CaaSection = new("renewal.caa", "CAA preflight.", [CaaEnabled, CaaIdentities, CaaNameservers]);

    public static readonly ConfigKey Retention = new("retention", ConfigValueKind.Duration, "How long history entries are kept.", Default: "400d", Example: "90d");

    public static readonly ConfigSectionSchema HistorySection = new("history", "Run history.", [Retention]);

    public static IReadOnlyList<ConfigKey> TopLevelKeys => [Renewal, History];

    public static IReadOnlyList<ConfigSectionSchema> Schemas => [RenewalSection, RateLimitsSection, CaaSection, HistorySection];

    public static RenewalSettings ReadRenewal(ConfigNode root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var d = RenewalSettings.Default;
        if (root.GetSection(Renewal) is not { } node)
        {
            return d;
        }

        node.RejectUnknownKeys(RenewalSection);
        var interval = node.GetPositiveDuration(CheckInterval) ?? d.CheckInterval;
        var backoff = node.GetPositiveDuration(Backoff) ?? d.Backoff;
        var backoffMax = node.GetPositiveDuration(BackoffMax) ?? d.BackoffMax;
        if (backoffMax < backoff)
        {
            node.AddError(BackoffMax, "must not be shorter than backoff");
        }

        var warnDays = node.GetInt(WarnDays, 0, 365) ?? d.WarnDays;
        var limits = d.RateLimits;
        if (node.GetSection(RateLimits) is { } r)
        {
            r.RejectUnknownKeys(RateLimitsSection);
            var l = RateLimitSettings.LetsEncrypt;
            limits = new RateLimitSettings(
                r.GetBool(Enabled) ?? true,
                new RateLimit(r.GetInt(OrdersPerAccount, 1) ?? l.OrdersPerAccount.Count, r.GetPositiveDuration(OrdersWindow) ?? l.OrdersPerAccount.Window),
                new RateLimit(r.GetInt(CertificatesPerDomain, 1) ?? l.CertificatesPerDomain.Count, r.GetPositiveDuration(CertificatesPerDomainWindow) ?? l.CertificatesPerDomain.Window),
                new RateLimit(r.GetInt(DuplicateCertificates, 1) ?? l.DuplicateCertificates.Count, r.GetPositiveDuration(DuplicateWindow) ?? l.DuplicateCertificates.Window),
                new RateLimit(r.GetInt(AuthorizationFailures, 1) ?? l.AuthorizationFailuresPerName.Count, r.GetPositiveDuration(AuthorizationFailuresWindow) ?? l.AuthorizationFailuresPerName.Window));
        }

        var caa = d.Caa;
        if (node.GetSection(Caa) is { } c)
        {
            c.RejectUnknownKeys(CaaSection);
            var identities = c.Has(CaaIdentities) ? c.GetStringList(CaaIdentities).Select(x => x.Value.Trim().ToLowerInvariant()).ToList() : null;
            var servers = new List<Certfleet.Dns.DnsServerEndpoint>();
            foreach (var (value, location) in c.GetStringList(CaaNameservers))
            {
                if (Certfleet.Dns.DnsServerEndpoint.TryParse(value, 53, out var ep, out var error))
                {
                    servers.Add(ep);
                }
                else
                {
                    c.Errors.Add(location, $"renewal.caa.nameservers: {error}");
                }
            }

            caa = new CaaSettings(c.GetBool(CaaEnabled) ?? true, identities, servers);
        }

        return new RenewalSettings(interval, backoff, backoffMax, warnDays, limits, caa);
    }

    public static HistorySettings ReadHistory(ConfigNode root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (root.GetSection(History) is not { } node)
        {
            return HistorySettings.Default;
        }

        node.RejectUnknownKeys(HistorySection);
        return new HistorySettings(node.GetPositiveDuration(Retention) ?? HistorySettings.Default.Retention);
    }
}
