using Certfleet.Inventory;
using Certfleet.Remote;

namespace Certfleet.Deployment.Tests;

public sealed class PlanTests
{
    private static OsRelease Os(string name) => OsRelease.Parse(File.ReadAllText(Path.Combine(LabDir(), "os-release", name)));

    // The os-release files the lab hosts carry (lab/os-release), found from this source file.
    private static string LabDir([System.Runtime.CompilerServices.CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "..", "lab"));

    private static readonly ShareClient Rocky = new(new SshHost("web1", "10.0.0.11"), "/etc/ssl/certfleet", new HostFacts(Os("rocky9"), "systemd", true, "dnf", "Enforcing"));
    private static readonly ShareClient Debian = new(new SshHost("web2", "10.0.0.12"), "/etc/ssl/certfleet", new HostFacts(Os("debian12"), "bash", false, "apt-get", null));

    [Fact]
    public void Rhel9_host_gets_nfs_utils_a_systemd_mount_unit_and_the_selinux_label_and_boolean()
    {
        var plan = ShareSetupPlanner.PlanHost(Rocky, "issuer.example", "/srv/certfleet");
        Assert.Equal(OsFamily.Rhel, plan.Family);
        Assert.Equal("Rocky Linux 9.4 (Blue Onyx)", plan.Distribution);
        Assert.Equal("nfs-utils", plan.Package);
        Assert.Equal("dnf install -y nfs-utils", plan.Commands[0]);
        Assert.Null(plan.FstabLine);
        var unit = Assert.Single(plan.Files);
        Assert.Equal("/etc/systemd/system/etc-ssl-certfleet.mount", unit.Path);
        Assert.Contains("What=issuer.example:/srv/certfleet\n", unit.Content, StringComparison.Ordinal);
        Assert.Contains("Where=/etc/ssl/certfleet\n", unit.Content, StringComparison.Ordinal);
        Assert.Contains("Type=nfs\n", unit.Content, StringComparison.Ordinal);
        Assert.Matches("Options=ro,.*context=\"system_u:object_r:cert_t:s0\"", unit.Content);
        Assert.Contains("systemctl enable --now etc-ssl-certfleet.mount", plan.Commands);
        Assert.Contains("setsebool -P httpd_use_nfs 1", plan.Commands);
        Assert.Empty(plan.Problems);
    }

    [Fact]
    public void Debian12_host_without_systemd_gets_nfs_common_and_an_fstab_line_and_no_selinux()
    {
        var plan = ShareSetupPlanner.PlanHost(Debian, "issuer.example", "/srv/certfleet");
        Assert.Equal(OsFamily.Debian, plan.Family);
        Assert.Equal("nfs-common", plan.Package);
        Assert.Contains("apt-get install -y nfs-common", plan.Commands[0], StringComparison.Ordinal);
        Assert.Empty(plan.Files);
        Assert.Equal("issuer.example:/srv/certfleet /etc/ssl/certfleet nfs ro,nosuid,nodev,noexec,vers=4.2,actimeo=10,_netdev 0 0", plan.FstabLine);
        Assert.Contains("mount /etc/ssl/certfleet", plan.Commands);
        Assert.DoesNotContain(plan.Commands, c => c.Contains("setsebool", StringComparison.Ordinal));
        Assert.DoesNotContain("context=", plan.FstabLine, StringComparison.Ordinal);
    }

    [Fact]
    public void Debian12_host_with_systemd_gets_a_mount_unit_without_selinux_options()
    {
        var plan = ShareSetupPlanner.PlanHost(Debian with { Facts = Debian.Facts! with { Systemd = true } }, "10.0.0.1", "/srv/certfleet");
        var unit = Assert.Single(plan.Files);
        Assert.DoesNotContain("context=", unit.Content, StringComparison.Ordinal);
        Assert.Contains("WantedBy=remote-fs.target", unit.Content, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_without_facts_is_a_problem_not_a_guess()
    {
        var plan = ShareSetupPlanner.PlanHost(Debian with { Facts = null }, "10.0.0.1", "/srv/certfleet");
        Assert.Null(plan.Package);
        Assert.Contains("no facts", Assert.Single(plan.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Export_is_read_only_root_squashed_and_lists_only_the_inventory_addresses()
    {
        var issuer = ShareSetupPlanner.PlanIssuer("/srv/certfleet", [Rocky, Debian, Debian]);
        Assert.Equal("/srv/certfleet 10.0.0.11(ro,root_squash,sync,no_subtree_check,secure) 10.0.0.12(ro,root_squash,sync,no_subtree_check,secure)", issuer.ExportsEntry);
        Assert.DoesNotContain("*", issuer.ExportsEntry, StringComparison.Ordinal);
        Assert.DoesNotContain("rw", issuer.ExportsEntry, StringComparison.Ordinal);
        Assert.Contains("exportfs -ra", issuer.Commands);
    }

    [Fact]
    public void Exports_block_is_appended_once_and_then_replaced_leaving_other_lines()
    {
        var first = ShareSetupPlanner.MergeExports("/home 10.0.0.0/8(rw)\n", "/srv/certfleet a(ro)");
        Assert.Equal($"/home 10.0.0.0/8(rw)\n{ShareSetupPlanner.BeginMarker}\n/srv/certfleet a(ro)\n{ShareSetupPlanner.EndMarker}\n", first);
        var second = ShareSetupPlanner.MergeExports(first + "/opt b(ro)\n", "/srv/certfleet a(ro) b(ro)");
        Assert.Equal($"/home 10.0.0.0/8(rw)\n{ShareSetupPlanner.BeginMarker}\n/srv/certfleet a(ro) b(ro)\n{ShareSetupPlanner.EndMarker}\n/opt b(ro)\n", second);
    }

    [Theory]
    [InlineData("/etc/ssl/certfleet")]
    [InlineData("/srv/my-certs/x y")]
    [InlineData("/opt/.hidden/a_b")]
    public async Task Mount_unit_name_is_what_systemd_escape_says(string path)
    {
        if (!File.Exists("/usr/bin/systemd-escape"))
        {
            Assert.Equal("etc-ssl-certfleet.mount", ShareSetupPlanner.MountUnitName("/etc/ssl/certfleet"));
            return;
        }

        var expected = (await PackageTests.RunAsync("systemd-escape", ["--path", "--suffix=mount", path])).Trim();
        Assert.Equal(expected, ShareSetupPlanner.MountUnitName(path));
    }

    [Fact]
    public async Task Generated_mount_unit_passes_systemd_analyze_verify()
    {
        if (!File.Exists("/usr/bin/systemd-analyze"))
        {
            Assert.Fail("systemd-analyze is missing; install systemd");
        }

        var plan = ShareSetupPlanner.PlanHost(Rocky, "issuer.example", "/srv/certfleet");
        var dir = Directory.CreateTempSubdirectory("cf-unit-");
        try
        {
            var file = Path.Combine(dir.FullName, Path.GetFileName(plan.Files[0].Path));
            await File.WriteAllTextAsync(file, plan.Files[0].Content, TestContext.Current.CancellationToken);
            var output = await PackageTests.RunAsync("systemd-analyze", ["verify", "--man=no", file]);
            Assert.DoesNotContain("Invalid", output, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Unknown", output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
