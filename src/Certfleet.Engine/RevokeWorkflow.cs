using System.Security.Cryptography.X509Certificates;
using Certfleet.Acme;
using Certfleet.Store;

namespace Certfleet.Engine;

/// <summary>Revokes the current certificate of a lineage (RFC 8555 §7.6).</summary>
public sealed class RevokeWorkflow(CertfleetRuntime runtime)
{
    public async Task<StoredCertificate> RevokeAsync(string name, RevocationReason reason, bool withCertificateKey, CancellationToken cancellationToken)
    {
        var current = await runtime.Store.GetCurrentAsync(name, cancellationToken)
            ?? throw new UsageException($"certfleet: {name} has no certificate to revoke");
        var bundle = await runtime.Store.ReadBundleAsync(current, cancellationToken);
        using var certificate = X509Certificate2.CreateFromPem(bundle.CertificatePem);
        if (withCertificateKey)
        {
            // Signed with the certificate's key (jwk), so it works without this installation's account.
            using var certificateKey = KeyTypes.ImportPem(bundle.PrivateKeyPem);
            using var throwaway = AcmeAccountKey.Generate();
            var client = runtime.CreateClient(throwaway);
            await client.RevokeCertificateWithKeyAsync(certificate, certificateKey, reason, cancellationToken);
        }
        else
        {
            var client = await runtime.ConnectAsync(register: false, null, null, cancellationToken);
            await client.RevokeCertificateAsync(certificate, reason, cancellationToken);
        }

        return current;
    }
}
