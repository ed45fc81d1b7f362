using Certfleet.WebServers.Checks;

namespace Certfleet.Engine.Fleet;

/// <summary>Where a configured certificate is deployed on one host (push directory or share mount).</summary>
/// <param name="Certificate">Name of the certificate in certfleet.yaml.</param>
/// <param name="CertificatePath">The certificate (full chain) file web servers should use on the host.</param>
/// <param name="KeyPath">Its private key on the host.</param>
/// <param name="Share">Set when the host reads the certificate from a share rather than a pushed copy.</param>
/// <param name="KeyGroup">The group deployment gives the private key (deploy.group); null for root.</param>
public sealed record DeployTarget(string Certificate, string CertificatePath, string? KeyPath = null, ShareExpectation? Share = null, string? KeyGroup = null);

/// <summary>
/// The deployment configuration as the check sees it. Deployment implements it; without one, the check
/// still reports which configured certificate covers an endpoint, but not whether the host has the current version.
/// </summary>
public interface IDeploymentTargets
{
    IReadOnlyList<DeployTarget> TargetsFor(string host);
}

/// <summary>No deployment configured.</summary>
public sealed class NoDeploymentTargets : IDeploymentTargets
{
    public static readonly NoDeploymentTargets Instance = new();

    public IReadOnlyList<DeployTarget> TargetsFor(string host) => [];
}

/// <summary>A configured certificate and the SHA-256 of its current leaf in the store (null when not issued yet).</summary>
public sealed record ManagedCertificate(string Name, IReadOnlyList<string> Domains, string? CurrentSha256);

/// <summary>Which configured certificate covers a set of names.</summary>
public static class CertificateCoverage
{
    /// <summary>The first configured certificate whose domains cover every name; null when none does or there are no names.</summary>
    public static ManagedCertificate? Covering(IReadOnlyList<ManagedCertificate> certificates, IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        var list = names.ToList();
        return list.Count == 0 ? null : certificates.FirstOrDefault(c => list.All(n => CertificateAnalysis.Covers(c.Domains, n)));
    }

    /// <summary>The configured certificates with the hash of their current leaf, read from the store.</summary>
    public static async Task<IReadOnlyList<ManagedCertificate>> LoadAsync(CertfleetRuntime runtime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var result = new List<ManagedCertificate>();
        foreach (var c in runtime.Settings.Certificates)
        {
            string? sha = null;
            if (Directory.Exists(runtime.Settings.StateDir) && await runtime.Store.ReadCurrentBundleAsync(c.Name, cancellationToken) is { } bundle)
            {
                var leaf = CertificateAnalysis.ParsePem(bundle.CertificatePem).FirstOrDefault();
                sha = leaf is null ? null : CertificateAnalysis.Sha256(leaf);
            }

            result.Add(new ManagedCertificate(c.Name, c.Domains, sha));
        }

        return result;
    }
}
