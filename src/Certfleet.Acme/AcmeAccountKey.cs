using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Certfleet.Acme;

/// <summary>
/// An account key (or a certificate key used for revocation): signs JWS and yields its JWK,
/// RFC 7638 thumbprint and DNS-01 values. Never printed: <see cref="ToString"/> shows only the type and thumbprint.
/// </summary>
public sealed class AcmeAccountKey : IDisposable
{
    private readonly AsymmetricAlgorithm _key;

    private AcmeAccountKey(AsymmetricAlgorithm key, AcmeKeyType keyType)
    {
        _key = key;
        KeyType = keyType;
        JwkJson = BuildJwk(key);
        Thumbprint = Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(JwkJson)));
    }

    /// <summary>The key's algorithm family and size.</summary>
    public AcmeKeyType KeyType { get; }

    /// <summary>JWS "alg": ES256, ES384 or RS256.</summary>
    public string Algorithm => KeyType switch
    {
        AcmeKeyType.EcP256 => "ES256",
        AcmeKeyType.EcP384 => "ES384",
        _ => "RS256",
    };

    /// <summary>RFC 7638 JWK thumbprint (SHA-256, base64url).</summary>
    public string Thumbprint { get; }

    /// <summary>The public JWK with the required members only, sorted, no whitespace (RFC 7638 §3.2).</summary>
    public string JwkJson { get; }

    /// <summary>Generates a new key.</summary>
    public static AcmeAccountKey Generate(AcmeKeyType keyType = AcmeKeyType.EcP256) => keyType switch
    {
        AcmeKeyType.EcP256 => new(ECDsa.Create(ECCurve.NamedCurves.nistP256), keyType),
        AcmeKeyType.EcP384 => new(ECDsa.Create(ECCurve.NamedCurves.nistP384), keyType),
        AcmeKeyType.Rsa2048 => new(RSA.Create(2048), keyType),
        AcmeKeyType.Rsa3072 => new(RSA.Create(3072), keyType),
        AcmeKeyType.Rsa4096 => new(RSA.Create(4096), keyType),
        _ => throw new ArgumentOutOfRangeException(nameof(keyType), keyType, "acme: unknown key type"),
    };

    /// <summary>Imports a PKCS#8 PEM private key ("BEGIN PRIVATE KEY"); also accepts "EC PRIVATE KEY" and "RSA PRIVATE KEY".</summary>
    public static AcmeAccountKey ImportPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (pem.Contains("RSA PRIVATE KEY", StringComparison.Ordinal) ||
            (pem.Contains("BEGIN PRIVATE KEY", StringComparison.Ordinal) && IsRsaPkcs8(pem)))
        {
            var rsa = RSA.Create();
            try
            {
                rsa.ImportFromPem(pem);
                return FromKey(rsa);
            }
            catch
            {
                rsa.Dispose();
                throw;
            }
        }

        var ec = ECDsa.Create();
        try
        {
            ec.ImportFromPem(pem);
            return FromKey(ec);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            ec.Dispose();
            throw new CryptographicException("acme: the key PEM is not a supported PKCS#8 EC (P-256/P-384) or RSA (2048-4096) private key", ex);
        }
    }

    /// <summary>Wraps an existing ECDSA (P-256, P-384) or RSA (2048-4096 bits) key; the instance takes ownership.</summary>
    public static AcmeAccountKey FromKey(AsymmetricAlgorithm key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key switch
        {
            ECDsa ec when ec.KeySize == 256 => new(ec, AcmeKeyType.EcP256),
            ECDsa ec when ec.KeySize == 384 => new(ec, AcmeKeyType.EcP384),
            RSA rsa when rsa.KeySize is >= 2048 and <= 4096 => new(rsa, rsa.KeySize switch
            {
                <= 2048 => AcmeKeyType.Rsa2048,
                <= 3072 => AcmeKeyType.Rsa3072,
                _ => AcmeKeyType.Rsa4096,
            }),
            _ => throw new NotSupportedException($"acme: unsupported key ({key.GetType().Name}, {key.KeySize} bits); use EC P-256/P-384 or RSA 2048-4096"),
        };
    }

    /// <summary>Exports the private key as PKCS#8 PEM. Store it with mode 0600.</summary>
    public string ExportPem() => _key switch
    {
        ECDsa ec => ec.ExportPkcs8PrivateKeyPem(),
        RSA rsa => rsa.ExportPkcs8PrivateKeyPem(),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>The DER SubjectPublicKeyInfo, to compare keys.</summary>
    public byte[] ExportSubjectPublicKeyInfo() => _key.ExportSubjectPublicKeyInfo();

    /// <summary>token "." thumbprint (RFC 8555 §8.1).</summary>
    public string ComputeKeyAuthorization(string token) => token + "." + Thumbprint;

    /// <summary>The TXT value for "_acme-challenge" (RFC 8555 §8.4).</summary>
    public string ComputeDns01TxtValue(string token) => Dns01.ComputeTxtValue(token, Thumbprint);

    /// <inheritdoc />
    public override string ToString() => $"{KeyType} {Thumbprint}";

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();

    internal byte[] Sign(ReadOnlySpan<byte> data) => _key switch
    {
        // SignData returns IEEE P1363 r||s, the JWS form (RFC 7518 §3.4).
        ECDsa ec => ec.SignData(data, KeyType == AcmeKeyType.EcP384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256),
        RSA rsa => rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new InvalidOperationException(),
    };

    internal bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) => _key switch
    {
        ECDsa ec => ec.VerifyData(data, signature, KeyType == AcmeKeyType.EcP384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256),
        RSA rsa => rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => false,
    };

    private static bool IsRsaPkcs8(string pem)
    {
        try
        {
            var fields = PemEncoding.Find(pem);
            var der = Convert.FromBase64String(pem[fields.Base64Data]);
            using var probe = RSA.Create();
            probe.ImportPkcs8PrivateKey(der, out _);
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or ArgumentException)
        {
            return false;
        }
    }

    private static string BuildJwk(AsymmetricAlgorithm key)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            // Members in lexicographic order (RFC 7638 §3.3).
            w.WriteStartObject();
            switch (key)
            {
                case ECDsa ec:
                    var p = ec.ExportParameters(false);
                    w.WriteString("crv", ec.KeySize == 384 ? "P-384" : "P-256");
                    w.WriteString("kty", "EC");
                    w.WriteString("x", Base64Url.EncodeToString(p.Q.X));
                    w.WriteString("y", Base64Url.EncodeToString(p.Q.Y));
                    break;
                case RSA rsa:
                    var r = rsa.ExportParameters(false);
                    w.WriteString("e", Base64Url.EncodeToString(TrimLeadingZeros(r.Exponent!)));
                    w.WriteString("kty", "RSA");
                    w.WriteString("n", Base64Url.EncodeToString(TrimLeadingZeros(r.Modulus!)));
                    break;
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static byte[] TrimLeadingZeros(byte[] value)
    {
        var i = 0;
        while (i < value.Length - 1 && value[i] == 0)
        {
            i++;
        }

        return value[i..];
    }
}

/// <summary>DNS-01 helpers (RFC 8555 §8.4).</summary>
public static class Dns01
{
    /// <summary>base64url(SHA-256(token "." thumbprint)).</summary>
    public static string ComputeTxtValue(string token, string jwkThumbprint)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(jwkThumbprint);
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(token + "." + jwkThumbprint)));
    }

    /// <summary>"_acme-challenge." + the identifier without a leading "*.".</summary>
    public static string RecordName(string dnsIdentifier)
    {
        ArgumentNullException.ThrowIfNull(dnsIdentifier);
        var name = dnsIdentifier.StartsWith("*.", StringComparison.Ordinal) ? dnsIdentifier[2..] : dnsIdentifier;
        return "_acme-challenge." + name.TrimEnd('.');
    }
}
