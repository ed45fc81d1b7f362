using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Certfleet.Acme.Tests;

public sealed class KeyAndCsrTests
{
    // RSA generation takes a second or more on a busy machine: one shared key for the tests that only need some RSA key.
    private static readonly Lazy<RSA> SharedRsa = new(() => RSA.Create(2048));

    [Theory]
    [InlineData(AcmeKeyType.EcP256, "ES256")]
    [InlineData(AcmeKeyType.EcP384, "ES384")]
    [InlineData(AcmeKeyType.Rsa2048, "RS256")]
    public void Keys_round_trip_through_pkcs8_pem_and_sign(AcmeKeyType type, string alg)
    {
        using var key = AcmeAccountKey.Generate(type);
        var pem = key.ExportPem();
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", pem, StringComparison.Ordinal);
        using var again = AcmeAccountKey.ImportPem(pem);
        Assert.Equal(type, again.KeyType);
        Assert.Equal(alg, again.Algorithm);
        Assert.Equal(key.Thumbprint, again.Thumbprint);
        var data = Encoding.UTF8.GetBytes("signed");
        var signature = again.Sign(data);
        Assert.True(key.Verify(data, signature));
        if (type == AcmeKeyType.EcP256)
        {
            Assert.Equal(64, signature.Length); // P1363 r||s, not DER
        }
        else if (type == AcmeKeyType.EcP384)
        {
            Assert.Equal(96, signature.Length);
        }
    }

    [Fact]
    public void Default_key_is_p256()
    {
        using var key = AcmeAccountKey.Generate();
        Assert.Equal(AcmeKeyType.EcP256, key.KeyType);
    }

    [Fact]
    public void Key_text_never_contains_the_private_key()
    {
        using var key = AcmeAccountKey.Generate();
        var pemBody = key.ExportPem().Split('\n')[1];
        Assert.DoesNotContain(pemBody, key.ToString(), StringComparison.Ordinal);
        Assert.Contains(key.Thumbprint, key.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("\"d\"", key.JwkJson, StringComparison.Ordinal);
    }

    [Fact]
    public void Rsa_pkcs1_pem_is_accepted()
    {
        using var key = AcmeAccountKey.ImportPem(SharedRsa.Value.ExportRSAPrivateKeyPem());
        Assert.Equal(AcmeKeyType.Rsa2048, key.KeyType);
    }

    [Fact]
    public void Garbage_pem_is_refused_with_an_acme_message()
    {
        var ex = Assert.Throws<CryptographicException>(() => AcmeAccountKey.ImportPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
        Assert.StartsWith("acme: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Csr_puts_every_name_in_the_san_and_the_first_in_the_cn()
    {
        using var key = CsrBuilder.GenerateKey();
        var der = CsrBuilder.CreateDer(["example.test", "*.example.test", "www.example.test"], key);
        var csr = CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        Assert.Equal("CN=example.test", csr.SubjectName.Name);
        var san = csr.CertificateExtensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["example.test", "*.example.test", "www.example.test"], san.EnumerateDnsNames().ToArray());
        Assert.True(csr.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()));
        Assert.StartsWith("-----BEGIN CERTIFICATE REQUEST-----", CsrBuilder.CreatePem(["example.test"], key), StringComparison.Ordinal);
    }

    [Fact]
    public void Csr_with_an_rsa_key_and_a_long_first_name_has_an_empty_subject()
    {
        var key = SharedRsa.Value;
        var longName = new string('a', 60) + ".example.test";
        var der = CsrBuilder.CreateDer([longName], key);
        var csr = CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        Assert.Equal("", csr.SubjectName.Name);
        Assert.Equal([longName], csr.CertificateExtensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().ToArray());
        _ = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
    }
}
