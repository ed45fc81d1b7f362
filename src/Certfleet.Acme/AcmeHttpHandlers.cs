using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Certfleet.Acme;

/// <summary>HTTP plumbing for CAs behind a private TLS root (Pebble, an internal CA).</summary>
public static class AcmeHttpHandlers
{
    /// <summary>
    /// A handler that trusts only the roots in <paramref name="pemBundle"/> for the CA's TLS listener
    /// (X509ChainTrustMode.CustomRootTrust; host name checks stay on). Use the default handler for public CAs.
    /// </summary>
    public static SocketsHttpHandler CreateHandlerTrusting(string pemBundle)
    {
        ArgumentException.ThrowIfNullOrEmpty(pemBundle);
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(pemBundle);
        if (roots.Count == 0)
        {
            throw new AcmeException("acme: the trust bundle holds no PEM certificate; give the CA's TLS root certificate");
        }

        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(roots);
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy },
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
    }
}
