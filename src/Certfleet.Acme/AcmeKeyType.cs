namespace Certfleet.Acme;

/// <summary>Key algorithms for ACME account keys and certificate keys.</summary>
public enum AcmeKeyType
{
    /// <summary>ECDSA on P-256, signs with ES256 (the default).</summary>
    EcP256,
    /// <summary>ECDSA on P-384, signs with ES384.</summary>
    EcP384,
    /// <summary>RSA 2048 bits, signs with RS256.</summary>
    Rsa2048,
    /// <summary>RSA 3072 bits, signs with RS256.</summary>
    Rsa3072,
    /// <summary>RSA 4096 bits, signs with RS256.</summary>
    Rsa4096,
}
