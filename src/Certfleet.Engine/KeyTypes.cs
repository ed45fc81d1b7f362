using System.Security.Cryptography;
using Certfleet.Acme;

namespace Certfleet.Engine;

internal static class KeyTypes
{
    public static AcmeKeyType Parse(string keyType) => keyType switch
    {
        "ec-p256" => AcmeKeyType.EcP256,
        "ec-p384" => AcmeKeyType.EcP384,
        "rsa-2048" => AcmeKeyType.Rsa2048,
        "rsa-3072" => AcmeKeyType.Rsa3072,
        "rsa-4096" => AcmeKeyType.Rsa4096,
        _ => throw new UsageException($"certfleet: unknown key type '{keyType}'; use one of {string.Join(", ", SettingsSchema.KeyTypes)}"),
    };

    public static string ExportPkcs8Pem(AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => ec.ExportPkcs8PrivateKeyPem(),
        RSA rsa => rsa.ExportPkcs8PrivateKeyPem(),
        _ => throw new NotSupportedException(key.GetType().Name),
    };

    public static AsymmetricAlgorithm ImportPem(string pem)
    {
        // The PEM label does not say EC or RSA for PKCS#8; try both.
        try
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return ec;
        }
        catch (CryptographicException)
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return rsa;
        }
    }
}
