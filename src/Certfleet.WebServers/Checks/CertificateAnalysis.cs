using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Certfleet.WebServers.Checks;

/// <summary>Pure checks over certificates: chain order and completeness, names, key strength, validity.</summary>
public static class CertificateAnalysis
{
    /// <summary>Every certificate of a PEM text in file order; an empty list when there is none.</summary>
    public static IReadOnlyList<X509Certificate2> ParsePem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (CryptographicException)
        {
            return [];
        }

        return [.. collection];
    }

    /// <summary>SHA-256 of the DER certificate, upper-case hex (as <c>ServedCertificate.Sha256</c>).</summary>
    public static string Sha256(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexString(SHA256.HashData(certificate.RawData));
    }

    public static IReadOnlyList<string> DnsNames(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var names = new List<string>();
        foreach (var ext in certificate.Extensions)
        {
            if (ext is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
                names.AddRange(san.EnumerateIPAddresses().Select(ip => ip.ToString()));
            }
        }

        return names;
    }

    /// <summary>
    /// True when <paramref name="name"/> (a server name, possibly <c>*.x</c> or <c>.x</c>) is covered by
    /// <paramref name="certificateNames"/>; a wildcard covers exactly one label (RFC 6125 §6.4.3).
    /// </summary>
    public static bool Covers(IEnumerable<string> certificateNames, string name)
    {
        ArgumentNullException.ThrowIfNull(certificateNames);
        ArgumentNullException.ThrowIfNull(name);
        var n = name.TrimEnd('.').ToLowerInvariant();
        var list = certificateNames.Select(c => c.TrimEnd('.').ToLowerInvariant()).ToList();
        if (n.StartsWith('.'))
        {
            // nginx: ".example.com" means example.com and *.example.com.
            return Covers(list, n[1..]) && Covers(list, "*" + n);
        }

        if (list.Contains(n))
        {
            return true;
        }

        if (n.StartsWith("*.", StringComparison.Ordinal))
        {
            return false;
        }

        var dot = n.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && list.Contains("*" + n[dot..]);
    }

    /// <summary>The server names of an endpoint that a certificate must cover (placeholders, regexes and ports removed).</summary>
    public static IReadOnlyList<string> NamesToCover(IEnumerable<string> serverNames)
    {
        ArgumentNullException.ThrowIfNull(serverNames);
        var result = new List<string>();
        foreach (var raw in serverNames)
        {
            var s = raw.Trim().Trim('"');
            var scheme = s.IndexOf("://", StringComparison.Ordinal);
            if (scheme >= 0)
            {
                s = s[(scheme + 3)..];
            }

            if (s.Length == 0 || s is "_" or "_default_" or "localhost" || s.StartsWith('~') || s.StartsWith('$') || s.Contains('/', StringComparison.Ordinal))
            {
                continue;
            }

            var colon = s.LastIndexOf(':');
            if (colon > 0 && !s.Contains(']', StringComparison.Ordinal) && s.Count(c => c == ':') == 1)
            {
                s = s[..colon];
            }

            if (s.EndsWith('*'))
            {
                continue;
            }

            if (!result.Contains(s, StringComparer.OrdinalIgnoreCase))
            {
                result.Add(s);
            }
        }

        return result;
    }

    /// <summary>
    /// Whether the certificates of a file (leaf first) reach a root: complete when the leaf is self-signed, when each
    /// certificate's issuer follows it, and the last one is self-signed, issued by a known root, or itself a CA
    /// certificate (roots are not sent). Null when complete; otherwise the reason.
    /// </summary>
    public static string? ChainProblem(IReadOnlyList<X509Certificate2> certificates, IReadOnlyCollection<X500DistinguishedName> knownRoots)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        ArgumentNullException.ThrowIfNull(knownRoots);
        if (certificates.Count == 0)
        {
            return "no certificate";
        }

        for (var i = 0; i + 1 < certificates.Count; i++)
        {
            if (!certificates[i].IssuerName.RawData.AsSpan().SequenceEqual(certificates[i + 1].SubjectName.RawData))
            {
                return $"certificate {i + 2} ({certificates[i + 1].Subject}) does not issue certificate {i + 1} ({certificates[i].Subject}): wrong order or a foreign certificate";
            }
        }

        var last = certificates[^1];
        if (IsSelfIssued(last) || knownRoots.Any(r => r.RawData.AsSpan().SequenceEqual(last.IssuerName.RawData)))
        {
            return null;
        }

        if (certificates.Count > 1 && IsCa(last))
        {
            return null;
        }

        return $"the file holds {(certificates.Count == 1 ? "only the leaf certificate" : $"{certificates.Count} certificates")}; the issuer {last.Issuer} is missing";
    }

    public static bool IsSelfIssued(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);
    }

    private static bool IsCa(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);

    /// <summary>A description of a key too weak for a TLS server (RSA under 2048 bits, EC under 256, DSA); null when fine.</summary>
    public static string? WeakKey(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var rsa = certificate.GetRSAPublicKey();
        if (rsa is not null)
        {
            return rsa.KeySize < 2048 ? $"RSA key of {rsa.KeySize} bits (at least 2048 needed)" : null;
        }

        using var ec = certificate.GetECDsaPublicKey();
        if (ec is not null)
        {
            return ec.KeySize < 256 ? $"EC key of {ec.KeySize} bits (at least 256 needed)" : null;
        }

        return certificate.PublicKey.Oid.Value == "1.2.840.10040.4.1" ? "DSA key (not usable with TLS 1.3; use EC P-256 or RSA 2048+)" : null;
    }

    /// <summary>True when the private key whose public half is <paramref name="keySpki"/> belongs to the certificate.</summary>
    public static bool KeyMatches(X509Certificate2 certificate, ReadOnlySpan<byte> keySpki)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(keySpki);
    }
}
