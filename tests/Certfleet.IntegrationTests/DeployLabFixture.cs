using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Certfleet.Deployment;
using Certfleet.Inventory;
using Certfleet.Lab;
using Certfleet.Remote;
using Certfleet.Store;

namespace Certfleet.IntegrationTests;

/// <summary>
/// A workspace whose certificate <c>site</c> goes to the four lab web servers: debian12 (nginx) and tomcat by push,
/// rocky9 (httpd layout) and ubuntu24 (apache2 layout) through a share (this machine's export directory bind-mounted
/// read-only into each host, lab/share-mount.sh). Everything is put back on dispose: configs, files, mounts, served certificates.
/// </summary>
public sealed class DeployLab : IAsyncDisposable
{
    public const string Name = "site";
    private static readonly (string Host, string Path)[] PushDirs = [("debian12", "/etc/nginx/certfleet"), ("tomcat", "/var/lib/tomcat10/certfleet"), ("debian12", "/etc/nginx/certfleet-late")];
    private static readonly (string Host, string Path)[] ShareMounts = [("rocky9", "/etc/httpd/certfleet-share"), ("ubuntu24", "/etc/apache2/certfleet-share")];

    private readonly LabFleetWorkspace _ws;
    private ECDsa? _caKey;
    private X509Certificate2? _ca;

    public DeployLab(LabHosts lab)
    {
        _ws = new LabFleetWorkspace(lab);
        Lab = lab;
        Export = Path.Combine(_ws.Root, "export");
        Directory.CreateDirectory(Export);
        File.WriteAllText(Path.Combine(_ws.Root, "ks.secret"), "lab-keystore-pw\n");
        foreach (var (host, mount) in ShareMounts)
        {
            LabScript("share-mount.sh", host, Export, mount);
        }
    }

    public LabHosts Lab { get; }

    public LabFleetWorkspace Workspace => _ws;

    public string Export { get; }

    public string StateDir => _ws.StateDir;

    /// <summary>The configuration: the lab fleet, plus <c>site</c> with its deploy targets, share and rollout; extra hosts appended.</summary>
    public string Config(string rollout = "{ canary: 0, batch: 10, parallelism: 4 }", string extraTargets = "", string? hosts = null, string? acmeAndDns = null)
    {
        var hostsYaml = hosts ?? "hosts:\n" + string.Concat(Lab.Hosts.Select(h => $"  {h.Name}: {{ address: {h.Address}, port: {h.Port}, user: root, identityFile: {h.IdentityFile} }}\n"));
        return _ws.Config(hostsYaml, acmeAndDns: acmeAndDns) + $$"""
              {{Name}}:
                domains: [lab.test, "*.lab.test"]
                dnsProvider: lab
                deploy:
                  - { to: [debian12], method: push, path: /etc/nginx/certfleet, group: ssl-cert }
                  - { to: [rocky9], method: share, path: /etc/httpd/certfleet-share }
                  - { to: [ubuntu24], method: share, path: /etc/apache2/certfleet-share }
                  - to: [tomcat]
                    method: push
                    path: /var/lib/tomcat10/certfleet
                    tomcat: { keystore: pkcs12, password: "file:{{Path.Combine(_ws.Root, "ks.secret")}}", alias: certfleet }
            {{extraTargets}}
            share: { exportPath: {{Export}} }
            rollout: {{rollout}}

            """;
    }

    /// <summary>Stores a new version of <c>site</c> (a certificate from a test CA) and returns its serial.</summary>
    public async Task<string> IssueAsync()
    {
        if (_ca is null)
        {
            _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var careq = new CertificateRequest("CN=certfleet deploy test CA", _caKey, HashAlgorithmName.SHA256);
            careq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            _ca = careq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=lab.test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("lab.test");
        san.AddDnsName("*.lab.test");
        req.CertificateExtensions.Add(san.Build());
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] = (byte)((serial[0] & 0x3F) | 0x10);
        using var leaf = req.Create(_ca.SubjectName, X509SignatureGenerator.CreateForECDsa(_caKey!), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(20), serial);
        var certPem = leaf.ExportCertificatePem() + "\n";
        var chainPem = _ca.ExportCertificatePem() + "\n";
        var bundle = new CertificateBundle(certPem, chainPem, certPem + chainPem, key.ExportPkcs8PrivateKeyPem() + "\n", new CertificateMetadata { Name = Name });
        var stored = await new CertificateStore(StateDir).SaveAsync(Name, bundle);
        return stored.SerialNumber;
    }

    public Task<int> VersionCountAsync() => new CertificateStore(StateDir).ListVersionsAsync(Name).ContinueWith(t => t.Result.Count, TaskScheduler.Default);

    /// <summary>Points each web server at the deployed files (as an operator would after the first deploy).</summary>
    public void UseDeployedFiles()
    {
        foreach (var (host, path, replacements) in LabHosts.DeployedFilesEdits(Name, "lab-keystore-pw"))
        {
            var text = File.ReadAllText(_ws.HostPath(host, path));
            foreach (var (from, to) in replacements)
            {
                text = text.Replace(from, to, StringComparison.Ordinal);
            }

            _ws.Write(host, path, text);
        }
    }

    public void WriteConfig(string yaml) => _ws.WriteConfig(yaml);

    /// <summary>Takes the share away from one host (as a lost NFS mount would).</summary>
    public void Unmount(string host) => LabScript("share-umount.sh", host, ShareMounts.Single(m => m.Host == host).Path);

    /// <summary>Mounts the share on one host again.</summary>
    public void Mount(string host) => LabScript("share-mount.sh", host, Export, ShareMounts.Single(m => m.Host == host).Path);

    public Task<CliRun> DeployAsync(params string[] args) => _ws.RunAsync(["deploy", .. args]);

    /// <summary>The serial each lab web server serves on 443 (handshake from here), or the error.</summary>
    public async Task<Dictionary<string, string>> ServedAsync()
    {
        var result = new Dictionary<string, string>();
        foreach (var host in new[] { "debian12", "rocky9", "ubuntu24", "tomcat" })
        {
            var h = Lab[host];
            var (cert, error) = await ServedCertificateProbe.ProbeAsync(h.Address, 443, $"{host}.lab.test", TimeSpan.FromSeconds(5), CancellationToken.None);
            result[host] = cert?.Serial ?? $"error: {error}";
        }

        return result;
    }

    /// <summary>Waits until every web server serves <paramref name="serial"/> (reloads are asynchronous), then returns what they serve.</summary>
    public async Task<Dictionary<string, string>> WaitServedAsync(Func<string, string, bool> ok, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var served = await ServedAsync();
            if (served.All(kv => ok(kv.Key, kv.Value)) || sw.Elapsed > timeout)
            {
                return served;
            }

            await Task.Delay(500);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _ws.Restore();
        foreach (var (host, mount) in ShareMounts)
        {
            LabScript("share-umount.sh", host, mount);
        }

        foreach (var (host, path) in PushDirs)
        {
            var local = _ws.HostPath(host, path);
            if (Directory.Exists(local))
            {
                Directory.Delete(local, recursive: true);
            }
        }

        // The web servers go back to the lab's own certificates for the tests that follow.
        var connector = new SshConnector(new SshSettings(_ws.KnownHosts, ConnectTimeout: TimeSpan.FromSeconds(20), CommandTimeout: TimeSpan.FromSeconds(60)));
        foreach (var (host, service) in new[] { ("debian12", "nginx"), ("rocky9", "httpd"), ("ubuntu24", "apache2"), ("tomcat", "tomcat10") })
        {
            var h = Lab[host];
            var connected = await connector.ConnectAsync(new SshHost(h.Name, h.Address, h.Port, h.User, h.IdentityFile), CancellationToken.None);
            if (connected.Session is { } session)
            {
                await using (session)
                {
                    await session.RunAsync(Services.For(service, systemd: false, service == "tomcat10" ? "/var/lib/tomcat10" : null)!.Reload, CancellationToken.None);
                }
            }
        }

        await WaitServedAsync((_, s) => !s.StartsWith("error", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        _ca?.Dispose();
        _caKey?.Dispose();
        _ws.Dispose();
    }

    private void LabScript(string script, params string[] args) => Lab.RunScript(script, args);
}
