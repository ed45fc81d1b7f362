using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Certfleet.Acme.Tests;

public sealed class VectorTests
{
    private const string RsaN = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    private const string Token = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";

    private static AcmeAccountKey Rfc7638RsaKey()
    {
        var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = Base64Url.DecodeFromChars(RsaN), Exponent = Base64Url.DecodeFromChars("AQAB") });
        return AcmeAccountKey.FromKey(rsa);
    }

    private static AcmeAccountKey Rfc7515P256Key()
    {
        var ec = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = Base64Url.DecodeFromChars("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"),
                Y = Base64Url.DecodeFromChars("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"),
            },
        });
        return AcmeAccountKey.FromKey(ec);
    }

    [Fact]
    public void Rsa_thumbprint_matches_rfc7638_section_3_1()
    {
        using var key = Rfc7638RsaKey();
        Assert.Equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", key.Thumbprint);
        Assert.Equal("RS256", key.Algorithm);
        Assert.StartsWith("{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7", key.JwkJson, StringComparison.Ordinal);
    }

    [Fact]
    public void P256_thumbprint_matches_rfc7515_appendix_a3_key()
    {
        using var key = Rfc7515P256Key();
        Assert.Equal("oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U", key.Thumbprint);
        Assert.Equal("ES256", key.Algorithm);
    }

    [Fact]
    public void Dns01_values_match_the_vectors()
    {
        using var rsa = Rfc7638RsaKey();
        using var ec = Rfc7515P256Key();
        Assert.Equal("ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8", rsa.ComputeDns01TxtValue(Token));
        Assert.Equal("ZaJgFtIV4WA0t2MzN7kbSk0sfRd2GZjaxRqaSTAK6lI", ec.ComputeDns01TxtValue(Token));
        Assert.Equal("ZaJgFtIV4WA0t2MzN7kbSk0sfRd2GZjaxRqaSTAK6lI", Dns01.ComputeTxtValue(Token, "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U"));
        Assert.Equal(Token + ".oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U", ec.ComputeKeyAuthorization(Token));
    }

    [Theory]
    [InlineData("example.com", "_acme-challenge.example.com")]
    [InlineData("*.example.com", "_acme-challenge.example.com")]
    [InlineData("www.example.com.", "_acme-challenge.www.example.com")]
    public void Dns01_record_name_strips_the_wildcard(string identifier, string expected) =>
        Assert.Equal(expected, Dns01.RecordName(identifier));

    private static readonly byte[] Aki = Convert.FromHexString("69885B6B87464041E1B37B847BA0AE2CDE01C8D4");

    [Fact]
    public void Ari_cert_id_matches_rfc9773_appendix_a_from_bytes() =>
        Assert.Equal("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", AriCertId.Create(Aki, [0x00, 0x87, 0x65, 0x43, 0x21]).Value);

    [Fact]
    public void Ari_cert_id_matches_rfc9773_appendix_a_from_a_certificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=ari.example", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(Aki));
        var now = DateTimeOffset.UtcNow;
        using var cert = request.Create(new X500DistinguishedName("CN=issuer"), X509SignatureGenerator.CreateForECDsa(key),
            now.AddDays(-1), now.AddDays(1), [0x00, 0x87, 0x65, 0x43, 0x21]);
        Assert.Equal("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", AriCertId.FromCertificate(cert).Value);
    }

    [Fact]
    public void Ari_cert_id_needs_an_authority_key_identifier()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var cert = new CertificateRequest("CN=no-aki", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var ex = Assert.Throws<AcmeException>(() => AriCertId.FromCertificate(cert));
        Assert.StartsWith("acme: ", ex.Message, StringComparison.Ordinal);
    }
}
