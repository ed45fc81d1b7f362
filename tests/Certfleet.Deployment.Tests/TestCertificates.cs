using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Certfleet.Store;

namespace Certfleet.Deployment.Tests;

/// <summary>A small CA and leaf certificates made with CertificateRequest, as bundles the store would hold.</summary>
internal static class TestCertificates
{
    private static readonly Lazy<(X509Certificate2 Ca, ECDsa Key)> Ca = new(() =>
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=certfleet test CA", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return (req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1)), key);
    });

    public static CertificateBundle Bundle(string name = "example", bool rsa = false, params string[] dns)
    {
        using AsymmetricAlgorithm key = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = key is RSA r
            ? new CertificateRequest($"CN={(dns.Length > 0 ? dns[0] : "example.test")}", r, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest($"CN={(dns.Length > 0 ? dns[0] : "example.test")}", (ECDsa)key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var d in dns.Length > 0 ? dns : ["example.test"])
        {
            san.AddDnsName(d);
        }

        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        serial[0] |= 0x10;
        var (ca, caKey) = Ca.Value;
        using var leaf = req.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30), serial);
        var certPem = leaf.ExportCertificatePem() + "\n";
        var chainPem = ca.ExportCertificatePem() + "\n";
        var keyPem = key.ExportPkcs8PrivateKeyPem() + "\n";
        return new CertificateBundle(certPem, chainPem, certPem + chainPem, keyPem, new CertificateMetadata { Name = name });
    }
}
