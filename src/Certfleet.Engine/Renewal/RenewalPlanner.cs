using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Certfleet.Acme;
using Certfleet.Store;

namespace Certfleet.Engine.Renewal;

/// <summary>Why a certificate is (or is not) due.</summary>
public enum RenewalTrigger
{
    /// <summary>Not due yet.</summary>
    None,
    /// <summary>No certificate stored yet.</summary>
    Missing,
    /// <summary>The configured names or key type differ from the certificate's.</summary>
    ConfigurationChanged,
    /// <summary>The certificate has expired.</summary>
    Expired,
    /// <summary>The certificate was revoked.</summary>
    Revoked,
    /// <summary>The CA's renewal window (ARI, RFC 9773) has been reached.</summary>
    RenewalInfo,
    /// <summary>A third of the lifetime is left (half below 10 days).</summary>
    Lifetime,
    /// <summary>Asked for with <c>--force</c>.</summary>
    Forced,
}

/// <summary>The CA's renewal window for a certificate, as fetched (RFC 9773 §4.2).</summary>
/// <param name="CertId">The certificate it is for.</param>
/// <param name="Start">suggestedWindow.start.</param>
/// <param name="End">suggestedWindow.end.</param>
/// <param name="FetchedAt">When it was fetched.</param>
/// <param name="NextFetch">When to ask again: Retry-After clamped to 1 minute – 1 day, 6 hours without one.</param>
/// <param name="ExplanationUrl">explanationURL, e.g. for a revocation event.</param>
public sealed record AriWindow(string CertId, DateTimeOffset Start, DateTimeOffset End, DateTimeOffset FetchedAt, DateTimeOffset NextFetch, string? ExplanationUrl = null)
{
    public static readonly TimeSpan MinRetry = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxRetry = TimeSpan.FromDays(1);
    public static readonly TimeSpan DefaultRetry = TimeSpan.FromHours(6);

    public static AriWindow From(AriCertId certId, RenewalInfo info, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certId);
        ArgumentNullException.ThrowIfNull(info);
        var retry = info.RetryAfter is { } r ? r - now : DefaultRetry;
        retry = retry < MinRetry ? MinRetry : retry > MaxRetry ? MaxRetry : retry;
        return new AriWindow(certId.Value, info.SuggestedWindowStart, info.SuggestedWindowEnd, now, now + retry, info.ExplanationUrl?.ToString());
    }

    /// <summary>
    /// The moment to renew inside the window: uniformly spread (RFC 9773 §4.2) but fixed for one certificate
    /// and window, so that successive runs agree on it instead of each drawing a new one.
    /// </summary>
    public DateTimeOffset PickedTime
    {
        get
        {
            var span = End - Start;
            if (span <= TimeSpan.Zero)
            {
                return Start;
            }

            var seed = SHA256.HashData(Encoding.UTF8.GetBytes($"{CertId}|{Start.ToUnixTimeSeconds()}|{End.ToUnixTimeSeconds()}"));
            var fraction = BinaryPrimitives.ReadUInt64BigEndian(seed) / (double)ulong.MaxValue;
            return Start + TimeSpan.FromTicks((long)(span.Ticks * fraction));
        }
    }
}

/// <summary>The plan for one certificate.</summary>
/// <param name="Name">Certificate name.</param>
/// <param name="Due">Whether to renew now.</param>
/// <param name="Trigger">What makes it due (or would, once the back-off ends).</param>
/// <param name="RenewAt">When it becomes due (the past when due; null when unknown).</param>
/// <param name="Reason">A sentence for the operator.</param>
/// <param name="Replaces">The certificate the new order replaces (ARI), when the CA should know.</param>
public sealed record RenewalDecision(string Name, bool Due, RenewalTrigger Trigger, DateTimeOffset? RenewAt, string Reason, AriCertId? Replaces)
{
    /// <summary>Whether a back-off is holding back a renewal that is otherwise due.</summary>
    public bool BackedOff { get; init; }
}

/// <summary>Decides, for each certificate, whether it is due and why. Pure: no I/O, the clock is a parameter.</summary>
public static class RenewalPlanner
{
    public static RenewalDecision Decide(
        CertificateSettings certificate,
        StoredCertificate? current,
        LineageState? state,
        AriWindow? ari,
        DateTimeOffset now,
        bool force = false,
        bool revoked = false)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var name = certificate.Name;
        var replaces = current?.Metadata.AriCertId is { Length: > 0 } id ? new AriCertId(id) : null;
        var (trigger, at, reason) = Evaluate(certificate, current, ari, now, revoked);
        if (force)
        {
            return new RenewalDecision(name, true, RenewalTrigger.Forced, now, "forced with --force" + (trigger == RenewalTrigger.None ? "" : $" ({reason})"), current is null ? null : replaces);
        }

        if (trigger == RenewalTrigger.None)
        {
            return new RenewalDecision(name, false, trigger, at, reason, replaces);
        }

        if (state?.BackoffUntil is { } until && until > now)
        {
            return new RenewalDecision(name, false, trigger, until, $"{reason}; backing off after {state.FailureCount} failure(s) until {until.UtcDateTime:yyyy-MM-dd HH:mm} UTC", replaces)
            {
                BackedOff = true,
            };
        }

        // A replaced certificate that has not been issued by this CA (Missing) carries no replaces.
        return new RenewalDecision(name, true, trigger, at, reason, current is null ? null : replaces);
    }

    /// <summary>How much of the lifetime is left when the default policy renews.</summary>
    public static TimeSpan RemainingAtRenewal(DateTimeOffset notBefore, DateTimeOffset notAfter) =>
        notAfter - RenewalPolicy.DefaultRenewAfter(notBefore, notAfter);

    /// <summary>
    /// Whether checks every <paramref name="interval"/> leave fewer than three chances to renew before expiry
    /// (e.g. 6-day certificates with a daily timer).
    /// </summary>
    public static bool ChecksTooRare(DateTimeOffset notBefore, DateTimeOffset notAfter, TimeSpan interval) =>
        RemainingAtRenewal(notBefore, notAfter) < interval * 3;

    private static (RenewalTrigger, DateTimeOffset?, string) Evaluate(CertificateSettings certificate, StoredCertificate? current, AriWindow? ari, DateTimeOffset now, bool revoked)
    {
        if (current is null)
        {
            return (RenewalTrigger.Missing, now, "no certificate yet");
        }

        var configured = certificate.Domains.Select(d => d.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        var actual = current.DnsNames.Select(d => d.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        if (!configured.SetEquals(actual))
        {
            var added = configured.Except(actual).Order(StringComparer.Ordinal).ToList();
            var removed = actual.Except(configured).Order(StringComparer.Ordinal).ToList();
            var parts = new List<string>();
            if (added.Count > 0)
            {
                parts.Add("added " + string.Join(", ", added));
            }

            if (removed.Count > 0)
            {
                parts.Add("removed " + string.Join(", ", removed));
            }

            return (RenewalTrigger.ConfigurationChanged, now, "names changed: " + string.Join("; ", parts));
        }

        if (!string.Equals(current.KeyType, certificate.KeyType, StringComparison.Ordinal))
        {
            return (RenewalTrigger.ConfigurationChanged, now, $"key type changed from {current.KeyType} to {certificate.KeyType}");
        }

        if (current.NotAfter <= now)
        {
            return (RenewalTrigger.Expired, current.NotAfter, $"expired {current.NotAfter.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
        }

        if (revoked)
        {
            return (RenewalTrigger.Revoked, now, "the certificate was revoked");
        }

        if (ari is not null && ari.CertId == current.Metadata.AriCertId && IsUsable(ari, current))
        {
            var at = ari.PickedTime;
            var window = $"the CA's renewal window {ari.Start.UtcDateTime:yyyy-MM-dd HH:mm} – {ari.End.UtcDateTime:yyyy-MM-dd HH:mm} UTC";
            return at <= now
                ? (RenewalTrigger.RenewalInfo, at, $"inside {window} (picked {at.UtcDateTime:yyyy-MM-dd HH:mm} UTC)")
                : (RenewalTrigger.None, at, $"renews at {at.UtcDateTime:yyyy-MM-dd HH:mm} UTC, inside {window}");
        }

        var renewAfter = RenewalPolicy.DefaultRenewAfter(current.NotBefore, current.NotAfter);
        var fraction = current.NotAfter - current.NotBefore < TimeSpan.FromDays(10) ? "half" : "a third";
        var invalid = ari is not null && ari.CertId == current.Metadata.AriCertId ? " (the CA's renewal window is invalid, ignored)" : "";
        return renewAfter <= now
            ? (RenewalTrigger.Lifetime, renewAfter, $"less than {fraction} of its lifetime left{invalid}")
            : (RenewalTrigger.None, renewAfter, $"renews at {renewAfter.UtcDateTime:yyyy-MM-dd HH:mm} UTC, when {fraction} of its lifetime is left{invalid}");
    }

    /// <summary>
    /// An inverted window, or one starting before the certificate itself, would have certfleet renew at once
    /// and again after every issuance: such a window is ignored and the lifetime policy applies.
    /// </summary>
    private static bool IsUsable(AriWindow ari, StoredCertificate current) =>
        ari.End > ari.Start && ari.Start >= current.NotBefore;
}
