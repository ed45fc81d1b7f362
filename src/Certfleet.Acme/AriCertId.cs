using System.Buffers.Text;
using System.Security.Cryptography.X509Certificates;

namespace Certfleet.Acme;

/// <summary>The ARI certificate identifier (RFC 9773 §4.1): base64url(AKI keyIdentifier) "." base64url(serial).</summary>
public sealed record AriCertId(string Value)
{
    /// <summary>From the raw keyIdentifier and the DER content bytes of the serial number (leading 00 kept).</summary>
    public static AriCertId Create(ReadOnlySpan<byte> authorityKeyIdentifier, ReadOnlySpan<byte> serialNumberDer) =>
        new(Base64Url.EncodeToString(authorityKeyIdentifier) + "." + Base64Url.EncodeToString(serialNumberDer));

    /// <summary>From a certificate: needs its Authority Key Identifier extension with a keyIdentifier.</summary>
    public static AriCertId FromCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var aki = certificate.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()
            ?? throw new AcmeException($"acme: certificate {certificate.Subject} has no Authority Key Identifier; ARI needs one");
        if (aki.KeyIdentifier is not { } keyId)
        {
            throw new AcmeException($"acme: the Authority Key Identifier of {certificate.Subject} has no keyIdentifier; ARI needs one");
        }

        // SerialNumberBytes is big-endian and keeps the DER leading zero (GetSerialNumber() is little-endian).
        return Create(keyId.Span, certificate.SerialNumberBytes.Span);
    }

    /// <inheritdoc />
    public override string ToString() => Value;
}
