using Certfleet.Lab;
using Certfleet.Remote;
using Certfleet.WebServers;

[assembly: AssemblyFixture(typeof(LabHosts))]

namespace Certfleet.Inventory.Tests;

public sealed class LabInventoryTests(LabHosts lab)
{
    private SshSettings Settings => new(lab.KnownHostsFile, Parallelism: 8, ConnectTimeout: TimeSpan.FromSeconds(20), CommandTimeout: TimeSpan.FromSeconds(60));

    private List<SshHost> Fleet() =>
        lab.Hosts.Select(h => new SshHost(h.Name, h.Address, h.Port, h.User, h.IdentityFile)).ToList();

    private async Task<Dictionary<string, HostInventory>> ScanAsync(IReadOnlyList<SshHost> hosts)
    {
        var scanner = new InventoryScanner(new SshConnector(Settings));
        var progress = new List<ScanProgress>();
        var results = await scanner.ScanAsync(hosts, new SyncProgress(progress), TestContext.Current.CancellationToken);
        Assert.Equal(hosts.Count * 2, progress.Count);
        return results.ToDictionary(r => r.Name);
    }

    [Fact]
    public async Task Inventory_of_the_lab_reports_each_host_its_web_servers_and_served_certificates()
    {
        var r = await ScanAsync(Fleet());

        var debian = r["debian12"];
        Assert.Equal(HostStatus.Ok, debian.Status);
        Assert.Equal("debian", debian.Facts!.Os.Id);
        Assert.Equal("12", debian.Facts.Os.VersionId);
        Assert.Equal(OsFamily.Debian, debian.Facts.Os.Family);
        Assert.False(debian.Facts.Systemd);
        Assert.Equal("apt-get", debian.Facts.PackageManager);
        var nginx = Assert.Single(debian.WebServers);
        Assert.Equal(WebServerKind.Nginx, nginx.Server.Kind);
        Assert.True(nginx.Server.Running);
        Assert.Matches(@"^1\.\d+\.\d+$", nginx.Server.Version);
        var ep = Assert.Single(nginx.Endpoints);
        Assert.Equal(443, ep.Config.Port);
        Assert.Equal("/etc/nginx/tls/lab.crt", ep.Config.CertificateFile);
        Assert.Equal("/etc/nginx/sites-enabled/lab-ssl", ep.Config.Location.File);
        Assert.Equal(2, ep.Config.Location.Line);
        Assert.Contains("debian12.lab.test", ep.Config.ServerNames);
        Assert.Equal("CN=debian12.lab.test", ep.Served!.Subject);
        Assert.Contains("www.debian12.lab.test", ep.Served.Names);

        var rocky = r["rocky9"];
        Assert.Equal(OsFamily.Rhel, rocky.Facts!.Os.Family);
        Assert.Equal("9.4", rocky.Facts.Os.VersionId);
        Assert.Equal("dnf", rocky.Facts.PackageManager);
        var httpd = Assert.Single(rocky.WebServers);
        Assert.Equal("httpd", httpd.Server.Service);
        Assert.Equal("/etc/httpd", httpd.Server.ConfigRoot);
        Assert.StartsWith("2.4.", httpd.Server.Version, StringComparison.Ordinal);
        var rep = Assert.Single(httpd.Endpoints);
        Assert.Equal(new ConfigLocation("/etc/httpd/conf.d/ssl.conf", 28), rep.Config.Location);
        Assert.Equal("/etc/pki/tls/certs/localhost.crt", rep.Config.CertificateFile);
        Assert.Equal("/etc/pki/tls/private/localhost.key", rep.Config.CertificateKeyFile);
        Assert.Equal(["rocky9.lab.test", "www.rocky9.lab.test"], rep.Config.ServerNames);
        Assert.Equal("CN=rocky9.lab.test", rep.Served!.Subject);

        var ubuntu = r["ubuntu24"];
        Assert.Equal("ubuntu", ubuntu.Facts!.Os.Id);
        Assert.Equal(OsFamily.Debian, ubuntu.Facts.Os.Family);
        var apache2 = Assert.Single(ubuntu.WebServers);
        Assert.Equal("apache2", apache2.Server.Service);
        var uep = Assert.Single(apache2.Endpoints);
        Assert.Equal("/etc/apache2/sites-enabled/default-ssl.conf", uep.Config.Location.File);
        Assert.Equal("/etc/apache2/tls/lab.crt", uep.Config.CertificateFile);
        Assert.Contains("ubuntu24.lab.test", uep.Config.ServerNames);
        Assert.Equal("CN=ubuntu24.lab.test", uep.Served!.Subject);

        var tomcat = Assert.Single(r["tomcat"].WebServers);
        Assert.Equal(WebServerKind.Tomcat, tomcat.Server.Kind);
        Assert.Equal("tomcat10", tomcat.Server.Service);
        Assert.Equal("/var/lib/tomcat10", tomcat.Server.ConfigRoot);
        Assert.StartsWith("10.", tomcat.Server.Version, StringComparison.Ordinal);
        var tep = Assert.Single(tomcat.Endpoints);
        Assert.Equal(443, tep.Config.Port);
        Assert.Equal(new KeystoreInfo("/var/lib/tomcat10/conf/lab.p12", "PKCS12", "tomcat", true), tep.Config.Keystore);
        Assert.Equal("/var/lib/tomcat10/conf/server.xml", tep.Config.Location.File);
        Assert.Equal("CN=tomcat.lab.test", tep.Served!.Subject);

        var down = r["down"];
        Assert.Equal(HostStatus.Failed, down.Status);
        Assert.Equal(HostFailureKind.Unreachable, down.Failure!.Kind);
        Assert.Contains("sshd listens", down.Failure.Fix, StringComparison.Ordinal);

        var rekey = r["rekey"];
        Assert.Equal(HostFailureKind.HostKeyChanged, rekey.Failure!.Kind);
        Assert.Contains("certfleet hosts trust rekey", rekey.Failure.Fix, StringComparison.Ordinal);
        Assert.Contains("SHA256:", rekey.Failure.Message, StringComparison.Ordinal);
        Assert.Empty(r["rekey"].WebServers);
    }

    [Fact]
    public async Task Ansible_ini_inventory_of_the_lab_gives_the_same_hosts()
    {
        var ini = string.Join('\n',
            "[web]",
            $"debian12 ansible_host={lab["debian12"].Address} ansible_user=root",
            $"rocky9 ansible_host={lab["rocky9"].Address}",
            "[java]",
            $"tomcat ansible_host={lab["tomcat"].Address} ansible_port={lab["tomcat"].Port}",
            "[lab:children]",
            "web",
            "java",
            "[lab:vars]",
            $"ansible_ssh_private_key_file={lab.IdentityFile}");
        var imported = AnsibleInventory.ParseIni(ini);
        var fleet = FleetOptions.Merge(new FleetConfig([], new Dictionary<string, IReadOnlyList<string>>(), null, Settings), imported);
        var (hosts, errors) = HostSelector.Select(fleet, ["@lab"]);
        Assert.Empty(errors);
        var r = await ScanAsync(hosts);
        Assert.Equal(["debian12", "rocky9", "tomcat"], r.Keys.Order());
        Assert.All(r.Values, h => Assert.Equal(HostStatus.Ok, h.Status));
        Assert.Equal("CN=tomcat.lab.test", r["tomcat"].WebServers.Single().Endpoints.Single().Served!.Subject);
        Assert.Equal(OsFamily.Rhel, r["rocky9"].Facts!.Os.Family);
    }

    [Fact]
    public async Task Trust_shows_the_fingerprint_of_a_changed_key_and_then_the_host_connects()
    {
        var known = Path.Combine(Path.GetTempPath(), $"cf-kh-{Guid.NewGuid():N}");
        File.Copy(lab.KnownHostsFile, known);
        try
        {
            var connector = new SshConnector(Settings with { KnownHostsFile = known });
            var h = lab["rekey"];
            var host = new SshHost(h.Name, h.Address, h.Port, h.User, h.IdentityFile);
            var ct = TestContext.Current.CancellationToken;
            var (probe, failure) = await connector.FetchHostKeyAsync(host, ct);
            Assert.Null(failure);
            Assert.Equal(HostKeyStatus.Changed, probe!.Current.Status);
            var onHost = File.ReadAllText(Path.Combine(lab.StateDir, "hosts", "rekey", "ssh", $"ssh_host_{(probe.KeyType == "ssh-ed25519" ? "ed25519" : "ecdsa")}_key.pub")).Split(' ')[1];
            Assert.Equal(KnownHosts.Fingerprint(Convert.FromBase64String(onHost)), probe.Fingerprint);

            connector.Trust(probe);
            var connected = await connector.ConnectAsync(host, ct);
            Assert.Null(connected.Failure);
            await using var session = connected.Session!;
            var echo = await session.RunAsync(RemoteCommand.Of("printf", "%s", "it's $HOME"), ct);
            Assert.Equal("it's $HOME", echo.Stdout);
            await session.WriteFileAsync("/tmp/cf-write-test", "hello"u8.ToArray(), UnixFileMode.UserRead | UnixFileMode.UserWrite, ct);
            Assert.Equal("hello"u8.ToArray(), await session.ReadFileAsync("/tmp/cf-write-test", 1024, ct));
            Assert.Equal("600", (await session.RunAsync(RemoteCommand.Of("stat", "-c", "%a", "/tmp/cf-write-test"), ct)).Stdout.Trim());
        }
        finally
        {
            File.Delete(known);
        }
    }

    [Fact]
    public async Task An_unknown_host_is_refused_with_its_fingerprint_and_the_trust_command()
    {
        var empty = Path.Combine(Path.GetTempPath(), $"cf-kh-{Guid.NewGuid():N}");
        var connector = new SshConnector(Settings with { KnownHostsFile = empty });
        var h = lab["debian12"];
        var result = await connector.ConnectAsync(new SshHost(h.Name, h.Address, h.Port, h.User, h.IdentityFile), TestContext.Current.CancellationToken);
        Assert.Null(result.Session);
        Assert.Equal(HostFailureKind.HostKeyUnknown, result.Failure!.Kind);
        Assert.Contains(result.Failure.PresentedFingerprint!, result.Failure.Message, StringComparison.Ordinal);
        Assert.Contains("certfleet hosts trust debian12", result.Failure.Fix, StringComparison.Ordinal);
        Assert.False(File.Exists(empty));
    }

    [Fact]
    public async Task A_jump_host_tunnels_to_a_host_behind_it()
    {
        // debian12 is the bastion; the target is debian12's own sshd seen from inside it.
        var bastion = lab["debian12"];
        var known = Path.Combine(Path.GetTempPath(), $"cf-kh-{Guid.NewGuid():N}");
        File.Copy(lab.KnownHostsFile, known);
        try
        {
            var settings = Settings with { KnownHostsFile = known, JumpHost = $"root@{bastion.Address}" };
            var connector = new SshConnector(settings);
            var target = new SshHost("inner", bastion.Address, 22, "root", bastion.IdentityFile);
            var result = await connector.ConnectAsync(target, TestContext.Current.CancellationToken);
            Assert.Null(result.Failure);
            await using var session = result.Session!;
            var os = await session.RunAsync(RemoteCommand.Of("cat", "/etc/os-release"), TestContext.Current.CancellationToken);
            Assert.Contains("bookworm", os.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(known);
        }
    }

    private sealed class SyncProgress(List<ScanProgress> into) : IProgress<ScanProgress>
    {
        public void Report(ScanProgress value)
        {
            lock (into)
            {
                into.Add(value);
            }
        }
    }
}
