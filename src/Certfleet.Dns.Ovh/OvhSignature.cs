using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Certfleet.Dns.Ovh;

/// <summary>OVH's request signature: "$1$" + SHA-1 hex of AS+CK+METHOD+URL+BODY+TIMESTAMP joined by '+'.</summary>
public static class OvhSignature
{
    /// <param name="url">The absolute URL exactly as sent (escaped form, query string included).</param>
    /// <param name="body">The exact body bytes sent, as UTF-8 text; empty when there is none.</param>
    public static string Compute(string applicationSecret, string consumerKey, string method, string url, string body, long timestamp)
    {
        ArgumentNullException.ThrowIfNull(method);
        var text = string.Join('+', applicationSecret, consumerKey, method.ToUpperInvariant(), url, body, timestamp.ToString(CultureInfo.InvariantCulture));
        // SHA-1 is what the protocol mandates; it is not our choice of hash.
#pragma warning disable CA5350
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350
        return "$1$" + Convert.ToHexStringLower(hash);
    }
}
