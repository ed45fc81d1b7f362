using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Certfleet.Deployment;

/// <summary>
/// Writes a PKCS#12 file (RFC 7292) the way current OpenSSL and Java expect: key and certificates encrypted with
/// PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC; RFC 8018), an HMAC-SHA256 MAC, and a friendlyName on the key and the leaf,
/// which Java uses as the alias. The BCL's own export cannot set the friendlyName on Linux.
/// </summary>
public static class Pkcs12Writer
{
    private const string Data = "1.2.840.113549.1.7.1";
    private const string EncryptedData = "1.2.840.113549.1.7.6";
    private const string ShroudedKeyBag = "1.2.840.113549.1.12.10.1.2";
    private const string CertBag = "1.2.840.113549.1.12.10.1.3";
    private const string X509Certificate = "1.2.840.113549.1.9.22.1";
    private const string FriendlyName = "1.2.840.113549.1.9.20";
    private const string LocalKeyId = "1.2.840.113549.1.9.21";
    private const string Pbes2 = "1.2.840.113549.1.5.13";
    private const string Pbkdf2 = "1.2.840.113549.1.5.12";
    private const string HmacSha256 = "1.2.840.113549.2.9";
    private const string Aes256Cbc = "2.16.840.1.101.3.4.1.42";
    private const string Sha256 = "2.16.840.1.101.3.4.2.1";

    public const int Iterations = 10000;

    public static byte[] Write(string certificatePem, string chainPem, string privateKeyPem, string password, string alias)
    {
        ArgumentNullException.ThrowIfNull(password);
        using var leaf = X509Certificate2.CreateFromPem(certificatePem);
        var chain = new X509Certificate2Collection();
        if (!string.IsNullOrWhiteSpace(chainPem))
        {
            chain.ImportFromPem(chainPem);
        }

        var keyId = SHA256.HashData(leaf.RawData)[..20];
        byte[] encryptedKey;
        using (var key = LoadKey(privateKeyPem))
        {
            encryptedKey = key.ExportEncryptedPkcs8PrivateKey(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, Iterations));
        }

        // Certificates: one SafeContents, encrypted as a whole (EncryptedData, RFC 7292 §4.1).
        var certs = new AsnWriter(AsnEncodingRules.DER);
        using (certs.PushSequence())
        {
            WriteCertBag(certs, leaf.RawData, alias, keyId);
            foreach (var c in chain)
            {
                WriteCertBag(certs, c.RawData, null, null);
                c.Dispose();
            }
        }

        // Key: a pkcs8ShroudedKeyBag in plain Data (the bag itself is encrypted).
        var keys = new AsnWriter(AsnEncodingRules.DER);
        using (keys.PushSequence())
        {
            using (keys.PushSequence())
            {
                keys.WriteObjectIdentifier(ShroudedKeyBag);
                using (keys.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
                {
                    keys.WriteEncodedValue(encryptedKey);
                }

                WriteAttributes(keys, alias, keyId);
            }
        }

        var authSafe = new AsnWriter(AsnEncodingRules.DER);
        using (authSafe.PushSequence())
        {
            WriteEncryptedData(authSafe, certs.Encode(), password);
            WriteData(authSafe, keys.Encode());
        }

        var authSafeBytes = authSafe.Encode();
        var macSalt = RandomNumberGenerator.GetBytes(32);
        var macKey = Pkcs12Kdf(password, macSalt, 3, Iterations, 32);
        var mac = HMACSHA256.HashData(macKey, authSafeBytes);

        var pfx = new AsnWriter(AsnEncodingRules.DER);
        using (pfx.PushSequence())
        {
            pfx.WriteInteger(3);
            WriteData(pfx, authSafeBytes);
            using (pfx.PushSequence())
            {
                using (pfx.PushSequence())
                {
                    using (pfx.PushSequence())
                    {
                        pfx.WriteObjectIdentifier(Sha256);
                        pfx.WriteNull();
                    }

                    pfx.WriteOctetString(mac);
                }

                pfx.WriteOctetString(macSalt);
                pfx.WriteInteger(Iterations);
            }
        }

        return pfx.Encode();
    }

    private static AsymmetricAlgorithm LoadKey(string pem)
    {
        var ec = ECDsa.Create();
        try
        {
            ec.ImportFromPem(pem);
            return ec;
        }
        catch (CryptographicException)
        {
            ec.Dispose();
        }

        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return rsa;
    }

    private static void WriteCertBag(AsnWriter w, byte[] der, string? alias, byte[]? keyId)
    {
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier(CertBag);
            using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
            {
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier(X509Certificate);
                    using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
                    {
                        w.WriteOctetString(der);
                    }
                }
            }

            if (alias is not null && keyId is not null)
            {
                WriteAttributes(w, alias, keyId);
            }
        }
    }

    private static void WriteAttributes(AsnWriter w, string alias, byte[] keyId)
    {
        using (w.PushSetOf())
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(FriendlyName);
                using (w.PushSetOf())
                {
                    w.WriteCharacterString(UniversalTagNumber.BMPString, alias);
                }
            }

            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(LocalKeyId);
                using (w.PushSetOf())
                {
                    w.WriteOctetString(keyId);
                }
            }
        }
    }

    private static void WriteData(AsnWriter w, byte[] content)
    {
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier(Data);
            using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
            {
                w.WriteOctetString(content);
            }
        }
    }

    private static void WriteEncryptedData(AsnWriter w, byte[] content, string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var iv = RandomNumberGenerator.GetBytes(16);

        // PBES2 takes the password as UTF-8 bytes (RFC 8018 §6.2), unlike the BMPString of the PKCS#12 KDF.
        var key = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        using var aes = Aes.Create();
        aes.Key = key;
        var encrypted = aes.EncryptCbc(content, iv, PaddingMode.PKCS7);
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier(EncryptedData);
            using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
            {
                using (w.PushSequence())
                {
                    w.WriteInteger(0);
                    using (w.PushSequence())
                    {
                        w.WriteObjectIdentifier(Data);
                        using (w.PushSequence())
                        {
                            w.WriteObjectIdentifier(Pbes2);
                            using (w.PushSequence())
                            {
                                using (w.PushSequence())
                                {
                                    w.WriteObjectIdentifier(Pbkdf2);
                                    using (w.PushSequence())
                                    {
                                        w.WriteOctetString(salt);
                                        w.WriteInteger(Iterations);
                                        using (w.PushSequence())
                                        {
                                            w.WriteObjectIdentifier(HmacSha256);
                                            w.WriteNull();
                                        }
                                    }
                                }

                                using (w.PushSequence())
                                {
                                    w.WriteObjectIdentifier(Aes256Cbc);
                                    w.WriteOctetString(iv);
                                }
                            }
                        }

                        w.WriteOctetString(encrypted, new Asn1Tag(TagClass.ContextSpecific, 0));
                    }
                }
            }
        }
    }

    /// <summary>The PKCS#12 key derivation (RFC 7292 Appendix B.2) with SHA-256; ID 3 makes MAC keys.</summary>
    internal static byte[] Pkcs12Kdf(string password, byte[] salt, byte id, int iterations, int length)
    {
        const int u = 32, v = 64;
        var pwd = new byte[(password.Length + 1) * 2];
        Encoding.BigEndianUnicode.GetBytes(password, 0, password.Length, pwd, 0);
        var d = Enumerable.Repeat(id, v).ToArray();
        byte[] Fill(byte[] src) => src.Length == 0 ? [] : Enumerable.Range(0, v * ((src.Length + v - 1) / v)).Select(i => src[i % src.Length]).ToArray();
        var i = Fill(salt).Concat(Fill(pwd)).ToArray();
        var result = new byte[length];
        for (var offset = 0; offset < length; offset += u)
        {
            var a = SHA256.HashData([.. d, .. i]);
            for (var n = 1; n < iterations; n++)
            {
                a = SHA256.HashData(a);
            }

            Array.Copy(a, 0, result, offset, Math.Min(u, length - offset));
            var b = Fill(a);
            for (var j = 0; j < i.Length / v; j++)
            {
                var carry = 1;
                for (var k = v - 1; k >= 0; k--)
                {
                    var sum = i[(j * v) + k] + b[k] + carry;
                    i[(j * v) + k] = (byte)sum;
                    carry = sum >> 8;
                }
            }
        }

        return result;
    }
}
