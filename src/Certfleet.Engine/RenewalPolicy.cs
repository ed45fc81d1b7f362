namespace Certfleet.Engine;

/// <summary>When a certificate is due without ARI: a third of its lifetime left, half for lifetimes under 10 days.</summary>
public static class RenewalPolicy
{
    public static DateTimeOffset DefaultRenewAfter(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var lifetime = notAfter - notBefore;
        var remaining = lifetime < TimeSpan.FromDays(10) ? lifetime / 2 : lifetime / 3;
        return notAfter - remaining;
    }
}
