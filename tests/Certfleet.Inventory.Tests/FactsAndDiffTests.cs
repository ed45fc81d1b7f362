using Certfleet.WebServers;

namespace Certfleet.Inventory.Tests;

public sealed class FactsAndDiffTests
{
    [Theory]
    [InlineData("ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n", "debian", "12", OsFamily.Debian)]
    [InlineData("ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"24.04\"\n", "ubuntu", "24.04", OsFamily.Debian)]
    [InlineData("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\n", "rocky", "9.4", OsFamily.Rhel)]
    [InlineData("ID=\"centos\"\nVERSION_ID=\"7\"\n", "centos", "7", OsFamily.Rhel)]
    [InlineData("NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nVERSION_ID=\"8.10\"\n", "rhel", "8.10", OsFamily.Rhel)]
    [InlineData("ID=alpine\nVERSION_ID=3.20.0\n", "alpine", "3.20.0", OsFamily.Other)]
    [InlineData("\0\u0001garbage", "linux", null, OsFamily.Other)]
    public void Os_release_gives_id_version_and_family(string text, string id, string? version, OsFamily family)
    {
        var os = OsRelease.Parse(text);
        Assert.Equal((id, version, family), (os.Id, os.VersionId, os.Family));
    }

    [Fact]
    public void Facts_output_is_split_by_section()
    {
        var facts = InventoryScanner.ParseFacts("==os\nID=rocky\nID_LIKE=\"rhel fedora\"\n==pid1\nsystemd\n==systemd\nyes\n==pkg\ndnf\n==selinux\nEnforcing\n");
        Assert.Equal(new HostFacts(facts.Os, "systemd", true, "dnf", "Enforcing"), facts);
        Assert.Equal(OsFamily.Rhel, facts.Os.Family);
        var bare = InventoryScanner.ParseFacts("==os\nID=debian\n==pid1\nbash\n==systemd\n==pkg\napt-get\n==selinux\n");
        Assert.Equal(("bash", false, null), (bare.InitSystem, bare.Systemd, bare.SeLinux));
    }

    private static HostInventory Host(string name, string version, string osVersion, string certSha, int port = 443) =>
        new(name, "10.0.0.1", 22, HostStatus.Ok, null,
            new HostFacts(new OsRelease("debian", [], osVersion, null, OsFamily.Debian), "systemd", true, "apt-get", null),
            [new WebServerInventory(new WebServerInfo(WebServerKind.Nginx, "nginx", version, true, "/etc/nginx", null, [], []),
                [new EndpointInventory(new TlsEndpoint(port, null, ["a.test"], "/c.pem", "/k.pem", null, new ConfigLocation("/etc/nginx/x", 1)),
                    new ServedCertificate("CN=a.test", ["a.test"], "CN=ca", certSha, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddDays(90), certSha), null)])],
            [], DateTimeOffset.UnixEpoch);

    [Fact]
    public void Diff_reports_hosts_os_versions_endpoints_and_certificates()
    {
        var before = new InventorySnapshot(1, DateTimeOffset.UnixEpoch, [Host("a", "1.22.1", "12", "AA"), Host("gone", "1", "12", "X"), Host("b", "1", "12", "B")]);
        var after = new InventorySnapshot(1, DateTimeOffset.UnixEpoch, [Host("a", "1.24.0", "13", "BB"), Host("new", "1", "12", "X"), Host("b", "1", "12", "B", port: 8443)]);
        var changes = InventoryDiff.Compare(before, after);
        Assert.Equal(
            [ChangeKind.HostAdded, ChangeKind.HostRemoved, ChangeKind.OsChanged, ChangeKind.WebServerVersionChanged, ChangeKind.ServedCertificateChanged, ChangeKind.EndpointAdded, ChangeKind.EndpointRemoved],
            changes.Select(c => c.Kind));
        Assert.Equal(("1.22.1", "1.24.0"), (changes[3].Before, changes[3].After));
        Assert.Empty(InventoryDiff.Compare(after, after));
    }

    [Fact]
    public async Task Snapshot_round_trips_and_keeps_the_previous_one()
    {
        var dir = Directory.CreateTempSubdirectory("cf-inv-").FullName;
        try
        {
            var latest = Path.Combine(dir, "inventory", "latest.json");
            var previous = Path.Combine(dir, "inventory", "previous.json");
            var first = new InventorySnapshot(1, DateTimeOffset.UnixEpoch, [Host("a", "1", "12", "AA")]);
            var second = new InventorySnapshot(1, DateTimeOffset.UnixEpoch.AddDays(1), [Host("a", "2", "12", "AA")]);
            await first.SaveAsync(latest, previous, TestContext.Current.CancellationToken);
            await second.SaveAsync(latest, previous, TestContext.Current.CancellationToken);
            var loadedLatest = await InventorySnapshot.LoadAsync(latest, TestContext.Current.CancellationToken);
            var loadedPrevious = await InventorySnapshot.LoadAsync(previous, TestContext.Current.CancellationToken);
            Assert.Equal("2", loadedLatest!.Hosts[0].WebServers[0].Server.Version);
            Assert.Equal("1", loadedPrevious!.Hosts[0].WebServers[0].Server.Version);
            Assert.Equal(new ConfigLocation("/etc/nginx/x", 1), loadedLatest.Hosts[0].WebServers[0].Endpoints[0].Config.Location);
            Assert.Contains("\"status\": \"ok\"", File.ReadAllText(latest), StringComparison.Ordinal);
            Assert.Null(await InventorySnapshot.LoadAsync(Path.Combine(dir, "none.json"), TestContext.Current.CancellationToken));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
