using Certfleet.Store;

namespace Certfleet.Engine.Renewal;

/// <summary>Whether an order may be placed now; when not, which limit and when it becomes possible.</summary>
public sealed record RateLimitVerdict(bool Allowed, string? Limit, DateTimeOffset? RetryAt, string Reason)
{
    public static RateLimitVerdict Ok(string reason) => new(true, null, null, reason);
}

/// <summary>
/// Keeps orders below the CA's rate limits, counting from certfleet's own history: new orders per account,
/// certificates per registered domain, certificates per exact set of names, failed authorizations per name.
/// ARI renewals (orders carrying <c>replaces</c>) are exempt, as Let's Encrypt exempts them.
/// </summary>
public sealed class RateLimitGuard(RateLimitSettings limits, HistoryStore history)
{
    public async Task<RateLimitVerdict> CheckAsync(IReadOnlyList<string> names, string? account, bool ariRenewal, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (!limits.Enabled)
        {
            return RateLimitVerdict.Ok("rate limits not checked (renewal.rateLimits.enabled: false)");
        }

        if (ariRenewal)
        {
            return RateLimitVerdict.Ok("ARI renewal, exempt from rate limits");
        }

        var longest = new[] { limits.OrdersPerAccount.Window, limits.CertificatesPerDomain.Window, limits.DuplicateCertificates.Window, limits.AuthorizationFailuresPerName.Window }.Max();
        var entries = await history.QueryAsync(new HistoryQuery
        {
            Kinds = [HistoryKind.Order, HistoryKind.Issued, HistoryKind.AuthorizationFailed],
            Since = now - longest,
            Limit = 100_000,
        }, cancellationToken);
        var requested = names.Select(n => n.ToLowerInvariant()).ToList();
        var set = SetKey(requested);

        var verdicts = new List<RateLimitVerdict>();
        if (account is not null)
        {
            verdicts.Add(Count(entries.Where(e => e.Kind == HistoryKind.Order && e.Account == account), limits.OrdersPerAccount, now,
                "new orders per account", $"{limits.OrdersPerAccount.Count} new orders per account per {Format(limits.OrdersPerAccount.Window)}"));
        }

        foreach (var domain in requested.Select(RegisteredDomain).Distinct(StringComparer.Ordinal))
        {
            verdicts.Add(Count(entries.Where(e => e.Kind == HistoryKind.Issued && e.Names.Any(n => RegisteredDomain(n) == domain)), limits.CertificatesPerDomain, now,
                "certificates per registered domain", $"{limits.CertificatesPerDomain.Count} certificates for {domain} per {Format(limits.CertificatesPerDomain.Window)}"));
        }

        verdicts.Add(Count(entries.Where(e => e.Kind == HistoryKind.Issued && SetKey(e.Names) == set), limits.DuplicateCertificates, now,
            "duplicate certificates", $"{limits.DuplicateCertificates.Count} certificates for exactly these names per {Format(limits.DuplicateCertificates.Window)}"));

        foreach (var name in requested)
        {
            verdicts.Add(Count(entries.Where(e => e.Kind == HistoryKind.AuthorizationFailed && e.Names.Contains(name, StringComparer.Ordinal)), limits.AuthorizationFailuresPerName, now,
                "authorization failures per name", $"{limits.AuthorizationFailuresPerName.Count} failed authorizations for {name} per {Format(limits.AuthorizationFailuresPerName.Window)}"));
        }

        var refused = verdicts.Where(v => !v.Allowed).OrderByDescending(v => v.RetryAt).FirstOrDefault();
        return refused ?? RateLimitVerdict.Ok("within rate limits");
    }

    /// <summary>
    /// The registered domain approximated as the last two labels (no public suffix list here); under suffixes
    /// such as co.uk this counts more certificates together than the CA does, which errs on the safe side.
    /// </summary>
    internal static string RegisteredDomain(string name)
    {
        var labels = name.TrimStart('*', '.').TrimEnd('.').ToLowerInvariant().Split('.');
        return labels.Length <= 2 ? string.Join('.', labels) : string.Join('.', labels[^2..]);
    }

    private static string SetKey(IEnumerable<string> names) => string.Join(',', names.Select(n => n.ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    private static RateLimitVerdict Count(IEnumerable<HistoryEntry> matching, RateLimit limit, DateTimeOffset now, string name, string description)
    {
        var times = matching.Select(e => e.At).Where(t => t > now - limit.Window).Order().ToList();
        if (times.Count < limit.Count)
        {
            return RateLimitVerdict.Ok($"{times.Count} of {description}");
        }

        // One more order fits once enough of the oldest events have left the window.
        var retryAt = times[times.Count - limit.Count] + limit.Window;
        return new RateLimitVerdict(false, name, retryAt,
            $"rate limit: {times.Count} of {description} already used; possible again at {retryAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
    }

    private static string Format(TimeSpan t) => Certfleet.Configuration.DurationParser.Format(t);
}
