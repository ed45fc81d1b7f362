using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Certfleet.Store;

internal sealed record CertificateFacts(
    string SerialNumber,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    IReadOnlyList<string> DnsNames,
    string KeyType,
    string Issuer,
    string Subject,
    string Sha256Fingerprint);

internal static class CertificateInspector
{
    internal static X509Certificate2 Load(string certificatePem, string what)
    {
        try
        {
            // Takes the first CERTIFICATE block, i.e. the leaf of a full chain.
            return X509Certificate2.CreateFromPem(certificatePem);
        }
        catch (CryptographicException e)
        {
            throw new StoreException($"store: {what} is not a readable PEM certificate; check the file or re-issue the certificate", e);
        }
    }

    internal static CertificateFacts Inspect(X509Certificate2 certificate) => new(
        certificate.SerialNumber,
        new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
        new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
        DnsNames(certificate),
        KeyType(certificate),
        certificate.Issuer,
        certificate.Subject,
        certificate.GetCertHashString(HashAlgorithmName.SHA256));

    /// <summary>
    /// The SHA-256 fingerprint of the first CERTIFICATE block of <paramref name="pem"/> (the one <see cref="Load"/> takes),
    /// from its DER bytes without parsing the X.509 structure; null when there is no such block.
    /// </summary>
    internal static string? PemFingerprint(string pem)
    {
        ReadOnlySpan<char> rest = pem;
        while (PemEncoding.TryFind(rest, out PemFields fields))
        {
            if (rest[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                byte[] der = new byte[fields.DecodedDataLength];
                if (!Convert.TryFromBase64Chars(rest[fields.Base64Data], der, out int written))
                {
                    return null;
                }

                Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
                SHA256.HashData(der.AsSpan(0, written), hash);
                return Convert.ToHexString(hash);
            }

            rest = rest[fields.Location.End..];
        }

        return null;
    }

    /// <summary>The facts <paramref name="metadata"/> records, or null when it lacks any of them (written before they were kept).</summary>
    internal static CertificateFacts? Recorded(CertificateMetadata metadata) =>
        metadata is { Sha256Fingerprint.Length: SHA256.HashSizeInBytes * 2, Subject: not null, DnsNames: not null, SerialNumber.Length: > 0, KeyType.Length: > 0 }
        && metadata.NotAfter > metadata.NotBefore
            ? new CertificateFacts(metadata.SerialNumber, metadata.NotBefore, metadata.NotAfter, metadata.DnsNames, metadata.KeyType,
                metadata.Issuer, metadata.Subject, metadata.Sha256Fingerprint)
            : null;

    /// <summary>Whether <paramref name="metadata"/> states a fact that the certificate contradicts (absent facts contradict nothing).</summary>
    internal static bool Contradicts(CertificateMetadata metadata, CertificateFacts facts) =>
        (metadata.Sha256Fingerprint is { } fingerprint && !fingerprint.Equals(facts.Sha256Fingerprint, StringComparison.OrdinalIgnoreCase))
        || (metadata.SerialNumber.Length > 0 && !metadata.SerialNumber.Equals(facts.SerialNumber, StringComparison.OrdinalIgnoreCase))
        || (metadata.NotAfter != default && metadata.NotAfter != facts.NotAfter)
        || (metadata.NotBefore != default && metadata.NotBefore != facts.NotBefore)
        || (metadata.KeyType.Length > 0 && metadata.KeyType != facts.KeyType)
        || (metadata.DnsNames is { } names && !names.SequenceEqual(facts.DnsNames, StringComparer.Ordinal));

    /// <summary><paramref name="metadata"/> with every certificate fact taken from <paramref name="facts"/>.</summary>
    internal static CertificateMetadata WithFacts(CertificateMetadata metadata, CertificateFacts facts) => metadata with
    {
        KeyType = facts.KeyType,
        SerialNumber = facts.SerialNumber,
        NotBefore = facts.NotBefore,
        NotAfter = facts.NotAfter,
        Issuer = facts.Issuer,
        Subject = facts.Subject,
        DnsNames = facts.DnsNames,
        Sha256Fingerprint = facts.Sha256Fingerprint,
    };

    internal static IReadOnlyList<string> DnsNames(X509Certificate2 certificate)
    {
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension.Oid?.Value == "2.5.29.17")
            {
                var san = extension as X509SubjectAlternativeNameExtension
                    ?? new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical);
                return [.. san.EnumerateDnsNames()];
            }
        }

        return [];
    }

    internal static string KeyType(X509Certificate2 certificate)
    {
        using (ECDsa? ec = certificate.GetECDsaPublicKey())
        {
            if (ec is not null)
            {
                string? oid = ec.ExportParameters(false).Curve.Oid.Value;
                return oid switch
                {
                    "1.2.840.10045.3.1.7" => "ec-p256",
                    "1.3.132.0.34" => "ec-p384",
                    "1.3.132.0.35" => "ec-p521",
                    _ => "ec-" + (oid ?? "unknown"),
                };
            }
        }

        using (RSA? rsa = certificate.GetRSAPublicKey())
        {
            if (rsa is not null)
            {
                return "rsa-" + rsa.KeySize.ToString(CultureInfo.InvariantCulture);
            }
        }

        return certificate.PublicKey.Oid.Value ?? "unknown";
    }

    /// <summary>Throws unless <paramref name="privateKeyPem"/> is the private half of the certificate's key.</summary>
    internal static void EnsureKeyMatches(X509Certificate2 certificate, string privateKeyPem)
    {
        try
        {
            using ECDsa? ecPublic = certificate.GetECDsaPublicKey();
            if (ecPublic is not null)
            {
                using var key = ECDsa.Create();
                key.ImportFromPem(privateKeyPem);
                // CopyWithPrivateKey compares the public halves and throws on mismatch.
                using X509Certificate2 paired = certificate.CopyWithPrivateKey(key);
                return;
            }

            using RSA? rsaPublic = certificate.GetRSAPublicKey();
            if (rsaPublic is not null)
            {
                using var key = RSA.Create();
                key.ImportFromPem(privateKeyPem);
                using X509Certificate2 paired = certificate.CopyWithPrivateKey(key);
                return;
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new StoreException(
                "store: the private key cannot be read as an unencrypted PEM key or does not belong to the certificate; nothing was stored", e);
        }

        throw new StoreException("store: the certificate's key algorithm is neither ECDSA nor RSA; nothing was stored");
    }

    /// <summary>Throws unless the first certificate of <paramref name="fullChainPem"/> is <paramref name="leaf"/>.</summary>
    internal static void EnsureFullChainStartsWith(X509Certificate2 leaf, string fullChainPem)
    {
        using X509Certificate2 first = Load(fullChainPem, "the full chain");
        if (!first.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
        {
            throw new StoreException("store: the full chain does not start with the certificate; pass the leaf first, then the chain; nothing was stored");
        }
    }
}
