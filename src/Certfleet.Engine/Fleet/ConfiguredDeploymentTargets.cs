using System.Security.Cryptography;
using Certfleet.Deployment;
using Certfleet.Remote;
using Certfleet.WebServers.Checks;

namespace Certfleet.Engine.Fleet;

/// <summary>
/// The deployment targets of certfleet.yaml as <c>check</c> sees them: for each host, the files each certificate's
/// deploy items place there (PATH/NAME/fullchain.pem and privkey.pem, or keystore.p12 for a Tomcat keystore), and for
/// share items the mount point with the SHA-256 of the issuer's exported public files, so a stale or foreign mount shows.
/// </summary>
public sealed class ConfiguredDeploymentTargets : IDeploymentTargets
{
    private static readonly string[] HashedFiles = [DeployPackage.FullChain, "cert.pem"];

    private readonly Dictionary<string, List<DeployTarget>> _byHost = new(StringComparer.Ordinal);

    public ConfiguredDeploymentTargets(CertfleetSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (var certificate in settings.Certificates)
        {
            foreach (var item in certificate.Deploy)
            {
                // Selectors were validated with the configuration; an unknown one here only means no host.
                var (hosts, _) = HostSelector.Select(settings.Fleet, item.To);
                var target = ToTarget(certificate.Name, item, settings.Deployment.Share);
                foreach (var host in hosts)
                {
                    if (!_byHost.TryGetValue(host.Name, out var list))
                    {
                        _byHost[host.Name] = list = [];
                    }

                    list.Add(target);
                }
            }
        }
    }

    public IReadOnlyList<DeployTarget> TargetsFor(string host) => _byHost.TryGetValue(host, out var list) ? list : [];

    private static DeployTarget ToTarget(string name, Certfleet.Deployment.DeployTarget item, ShareOptions? share)
    {
        var dir = $"{item.Path.TrimEnd('/')}/{name}";
        var certificatePath = item.Tomcat is { Pkcs12: true } ? $"{dir}/{DeployPackage.Keystore}" : $"{dir}/{DeployPackage.FullChain}";
        var keyPath = item.Tomcat is { Pkcs12: true } ? null : $"{dir}/{DeployPackage.PrivateKey}";
        ShareExpectation? expectation = null;
        if (item.Method == DeployMethod.Share)
        {
            var expected = new Dictionary<string, string>(StringComparer.Ordinal);
            if (share is not null)
            {
                foreach (var file in HashedFiles)
                {
                    var local = Path.Combine(share.ExportPath, name, file);
                    if (File.Exists(local))
                    {
                        using var stream = File.OpenRead(local);
                        expected[$"{dir}/{file}"] = Convert.ToHexStringLower(SHA256.HashData(stream));
                    }
                }
            }

            // The file system type is left open: NFS (nfs or nfs4) in production, a bind or SSHFS mount in labs.
            expectation = new ShareExpectation(item.Path, null, expected);
        }

        return new DeployTarget(name, certificatePath, keyPath, expectation, item.Group == "root" ? null : item.Group);
    }
}
