using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Certfleet.Store.Tests;

internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Root = Path.Combine(Path.GetTempPath(), "certfleet-store-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        State = Path.Combine(Root, "state");
    }

    /// <summary>Exists; <see cref="State"/> inside it does not until the store writes.</summary>
    public string Root { get; }

    public string State { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class Certs
{
    private static readonly Lazy<(X509Certificate2 Ca, ECDsa Key)> Issuer = new(() =>
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=certfleet test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        X509Certificate2 ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddYears(1));
        return (ca, key);
    });

    public static string CaPem => Issuer.Value.Ca.ExportCertificatePem() + "\n";

    /// <summary>A leaf signed by the test CA with a fresh key; <paramref name="keyType"/> as the store names them.</summary>
    public static CertificateBundle Bundle(string keyType = "ec-p256", string[]? dns = null, CertificateMetadata? metadata = null)
    {
        dns ??= ["example.com", "*.example.com"];
        AsymmetricAlgorithm key = keyType switch
        {
            "ec-p256" => ECDsa.Create(ECCurve.NamedCurves.nistP256),
            "ec-p384" => ECDsa.Create(ECCurve.NamedCurves.nistP384),
            "rsa-2048" => RSA.Create(2048),
            "rsa-3072" => RSA.Create(3072),
            _ => throw new ArgumentOutOfRangeException(nameof(keyType)),
        };
        using (key)
        {
            CertificateRequest request = key is ECDsa ec
                ? new CertificateRequest("CN=" + dns[0], ec, HashAlgorithmName.SHA256)
                : new CertificateRequest("CN=" + dns[0], (RSA)key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            foreach (string name in dns)
            {
                san.AddDnsName(name);
            }

            request.CertificateExtensions.Add(san.Build());
            byte[] serial = RandomNumberGenerator.GetBytes(16);
            serial[0] &= 0x7F;
            var notBefore = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(-1), TimeSpan.Zero);
            using X509Certificate2 leaf = request.Create(Issuer.Value.Ca.SubjectName, X509SignatureGenerator.CreateForECDsa(Issuer.Value.Key),
                notBefore, notBefore.AddDays(90), serial);
            string certPem = leaf.ExportCertificatePem() + "\n";
            string keyPem = key.ExportPkcs8PrivateKeyPem() + "\n";
            return new CertificateBundle(certPem, CaPem, certPem + CaPem, keyPem, metadata ?? new CertificateMetadata());
        }
    }

    /// <summary>Whether the certificate's public key is the public half of the private key.</summary>
    public static bool KeyMatches(string certificatePem, string privateKeyPem)
    {
        using X509Certificate2 cert = X509Certificate2.CreateFromPem(certificatePem);
        using ECDsa? certKey = cert.GetECDsaPublicKey();
        if (certKey is null)
        {
            return false;
        }

        using var key = ECDsa.Create();
        key.ImportFromPem(privateKeyPem);
        return certKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo());
    }

#pragma warning disable CA1416 // the store is Linux only
    public static UnixFileMode Mode(string path) => File.GetUnixFileMode(path);
#pragma warning restore CA1416

    public const UnixFileMode Dir0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode File0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode File0644 = File0600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Every file system entry under <paramref name="root"/>, relative, sorted.</summary>
    public static string[] Tree(string root) => Directory.Exists(root)
        ? [.. Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(root, p)).Order(StringComparer.Ordinal)]
        : [];
}
