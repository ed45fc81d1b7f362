using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Certfleet.Acme;

/// <summary>Builds PKCS#10 requests for finalize: every name in the SAN extension, CN = first name when it fits.</summary>
public static class CsrBuilder
{
    /// <summary>Generates a certificate key. It must differ from the account key.</summary>
    public static AsymmetricAlgorithm GenerateKey(AcmeKeyType keyType = AcmeKeyType.EcP256) => keyType switch
    {
        AcmeKeyType.EcP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        AcmeKeyType.EcP384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        AcmeKeyType.Rsa2048 => RSA.Create(2048),
        AcmeKeyType.Rsa3072 => RSA.Create(3072),
        AcmeKeyType.Rsa4096 => RSA.Create(4096),
        _ => throw new ArgumentOutOfRangeException(nameof(keyType), keyType, "acme: unknown key type"),
    };

    /// <summary>The DER CSR for the names, signed by <paramref name="privateKey"/> (ECDSA or RSA).</summary>
    public static byte[] CreateDer(IReadOnlyList<string> dnsNames, AsymmetricAlgorithm privateKey)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        ArgumentNullException.ThrowIfNull(privateKey);
        if (dnsNames.Count == 0)
        {
            throw new ArgumentException("acme: a CSR needs at least one DNS name", nameof(dnsNames));
        }

        var names = dnsNames.Select(n => n.Trim().TrimEnd('.').ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        // CN is limited to 64 characters (RFC 5280 ub-common-name); the SAN carries every name anyway.
        var subject = names[0].Length <= 64 ? new X500DistinguishedName("CN=" + names[0]) : new X500DistinguishedName("");
        var request = privateKey switch
        {
            ECDsa ec => new CertificateRequest(subject, ec, ec.KeySize == 384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new NotSupportedException("acme: CSR keys must be ECDSA or RSA"),
        };
        request.CertificateExtensions.Add(BuildSan(names));
        return request.CreateSigningRequest();
    }

    /// <summary>The CSR as PEM ("CERTIFICATE REQUEST").</summary>
    public static string CreatePem(IReadOnlyList<string> dnsNames, AsymmetricAlgorithm privateKey) =>
        PemEncoding.WriteString("CERTIFICATE REQUEST", CreateDer(dnsNames, privateKey));

    private static X509Extension BuildSan(IEnumerable<string> names)
    {
        // Written by hand: SubjectAlternativeNameBuilder runs names through IDN mapping, which rejects "*".
        var idn = new IdnMapping();
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var name in names)
            {
                var ascii = name.StartsWith("*.", StringComparison.Ordinal) ? "*." + idn.GetAscii(name[2..]) : idn.GetAscii(name);
                writer.WriteCharacterString(UniversalTagNumber.IA5String, ascii, new Asn1Tag(TagClass.ContextSpecific, 2));
            }
        }

        return new X509Extension("2.5.29.17", writer.Encode(), critical: false);
    }
}
