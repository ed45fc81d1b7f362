using System.Text.Json;
using Certfleet.Lab;

namespace Certfleet.IntegrationTests;

[Collection(LabFleetCollection.Name)]
public sealed class InventoryTests(LabHosts lab)
{
    [Fact]
    public async Task Inventory_reports_every_lab_host_and_the_failing_ones_with_their_fix()
    {
        using var ws = new LabFleetWorkspace(lab);
        ws.WriteConfig(ws.Config());
        var run = await ws.RunAsync("inventory");
        Assert.True(run.ExitCode == 1, run.ToString());
        var o = run.Out;
        Assert.Contains("debian12 (10.77.0.6:22): Debian GNU/Linux 12", o, StringComparison.Ordinal);
        Assert.Contains("(debian 12, family debian)", o, StringComparison.Ordinal);
        Assert.Matches(@"  nginx 1\.\d+\.\d+ \(running\)", o);
        Assert.Contains(":443 debian12.lab.test, www.debian12.lab.test  /etc/nginx/sites-enabled/lab-ssl:2", o, StringComparison.Ordinal);
        Assert.Contains("certificate /etc/nginx/tls/lab.crt at /etc/nginx/sites-enabled/lab-ssl:6, key /etc/nginx/tls/lab.key", o, StringComparison.Ordinal);
        Assert.Contains("served CN=debian12.lab.test [debian12.lab.test, www.debian12.lab.test]", o, StringComparison.Ordinal);
        Assert.Contains("covered by: debian12", o, StringComparison.Ordinal);
        Assert.Contains("(rocky 9.4, family rhel)", o, StringComparison.Ordinal);
        Assert.Contains("/etc/httpd/conf.d/ssl.conf:28", o, StringComparison.Ordinal);
        Assert.Contains("certificate /etc/pki/tls/certs/localhost.crt at /etc/httpd/conf.d/ssl.conf:66", o, StringComparison.Ordinal);
        Assert.Contains("(ubuntu 24.04, family debian)", o, StringComparison.Ordinal);
        Assert.Contains("/etc/apache2/sites-enabled/default-ssl.conf", o, StringComparison.Ordinal);
        Assert.Matches(@"  tomcat10 10\.\S+ \(running\), config /var/lib/tomcat10", o);
        Assert.Contains("keystore /var/lib/tomcat10/conf/lab.p12 (PKCS12, alias tomcat) at /var/lib/tomcat10/conf/server.xml:110", o, StringComparison.Ordinal);
        Assert.Contains("served CN=tomcat.lab.test", o, StringComparison.Ordinal);
        Assert.Matches(@"down \(10\.77\.0\.22:22\): FAILED: ssh: down .* is unreachable: connection refused\n  fix: check that the host is up, that sshd listens", o);
        Assert.Matches(@"rekey \(10\.77\.0\.26:22\): FAILED: ssh: HOST KEY CHANGED .*SHA256:.*\n  fix: .*certfleet hosts trust rekey", o);
        Assert.Contains("rekey: scanning", run.Error, StringComparison.Ordinal);

        var latest = Path.Combine(ws.StateDir, "inventory", "latest.json");
        Assert.True(File.Exists(latest));
        var again = await ws.RunAsync("inventory", "--json", "@web");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.True(File.Exists(Path.Combine(ws.StateDir, "inventory", "previous.json")));
        using (var doc = JsonDocument.Parse(again.Out))
        {
            var hosts = doc.RootElement.GetProperty("hosts").EnumerateArray().Select(h => h.GetProperty("name").GetString()).ToList();
            Assert.Equal(["debian12", "rocky9", "ubuntu24", "tomcat"], hosts);
            var cover = doc.RootElement.GetProperty("coverage").EnumerateArray().Single(c => c.GetProperty("host").GetString() == "debian12");
            Assert.Equal("debian12", cover.GetProperty("certificate").GetString());
        }

        // The partial run keeps down and rekey from the first one: no change at all.
        var diff = await ws.RunAsync("inventory", "diff");
        Assert.True(diff.ExitCode == 0, diff.ToString());
        Assert.Contains("  none", diff.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ansible_ini_inventory_gives_the_same_result()
    {
        using var ws = new LabFleetWorkspace(lab);
        var ini = Path.Combine(ws.Root, "hosts.ini");
        File.WriteAllText(ini, string.Join('\n',
            "[web]",
            $"debian12 ansible_host={lab["debian12"].Address} ansible_user=root",
            $"rocky9 ansible_host={lab["rocky9"].Address}",
            $"ubuntu24 ansible_host={lab["ubuntu24"].Address}",
            "[java]",
            $"tomcat ansible_host={lab["tomcat"].Address} ansible_port={lab["tomcat"].Port}",
            "[broken]",
            $"down ansible_host={lab["down"].Address}",
            "[lab:children]",
            "web",
            "java",
            "[all:vars]",
            $"ansible_ssh_private_key_file={lab.IdentityFile}",
            ""));
        ws.WriteConfig(ws.Config(hosts: "", inventory: ini));
        var fromIni = await ws.RunAsync("inventory", "@lab");
        Assert.True(fromIni.ExitCode == 0, fromIni.ToString());

        using var direct = new LabFleetWorkspace(lab);
        direct.WriteConfig(direct.Config());
        var fromYaml = await direct.RunAsync("inventory", "@web");
        Assert.True(fromYaml.ExitCode == 0, fromYaml.ToString());
        Assert.Equal(Stable(fromYaml.Out), Stable(fromIni.Out));

        var down = await ws.RunAsync("inventory", "@broken");
        Assert.Equal(1, down.ExitCode);
        Assert.Contains("down (10.77.0.22:22): FAILED", down.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Garbage_in_configuration_files_gives_findings_per_host_not_a_crash()
    {
        using var ws = new LabFleetWorkspace(lab);
        ws.WriteConfig(ws.Config());
        try
        {
            ws.Write("debian12", "/etc/nginx/conf.d/zz-unbalanced.conf", "server {\n  listen 8082;\n  location / {\n");
            var binary = new byte[64 * 1024];
            new Random(5).NextBytes(binary);
            ws.Write("rocky9", "/etc/httpd/conf.d/zz-binary.conf", binary);
            var big = new byte[50 * 1024 * 1024];
            Array.Fill(big, (byte)'#');
            for (var i = 79; i < big.Length; i += 80)
            {
                big[i] = (byte)'\n';
            }

            ws.Write("ubuntu24", "/etc/apache2/conf-enabled/zz-big.conf", big);
            var run = await ws.RunAsync("inventory", "--json", "@web");
            Assert.True(run.ExitCode == 0, run.ToString());
            using var doc = JsonDocument.Parse(run.Out);
            var findings = doc.RootElement.GetProperty("hosts").EnumerateArray()
                .ToDictionary(h => h.GetProperty("name").GetString()!, h => string.Join("\n", h.GetProperty("findings").EnumerateArray().Select(f => f.GetString())));
            Assert.Contains("nginx -T reports an invalid configuration", findings["debian12"], StringComparison.Ordinal);
            Assert.Contains("zz-unbalanced.conf", findings["debian12"], StringComparison.Ordinal);
            Assert.Contains("zz-binary.conf", findings["rocky9"], StringComparison.Ordinal);
            Assert.Contains("zz-big.conf is 52428800 bytes", findings["ubuntu24"], StringComparison.Ordinal);
            Assert.DoesNotContain("zz-", findings["tomcat"], StringComparison.Ordinal);

            // The rest of each host is still reported.
            var rocky = doc.RootElement.GetProperty("hosts").EnumerateArray().Single(h => h.GetProperty("name").GetString() == "rocky9");
            Assert.Equal("rocky9.lab.test", rocky.GetProperty("webServers")[0].GetProperty("endpoints")[0].GetProperty("config").GetProperty("serverNames")[0].GetString());
        }
        finally
        {
            ws.Restore();
        }
    }

    [Fact]
    public async Task Hosts_trust_shows_the_fingerprint_refuses_without_confirmation_and_records_with_yes()
    {
        using var ws = new LabFleetWorkspace(lab);
        ws.WriteConfig(ws.Config());
        var list = await ws.RunAsync("hosts", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("tomcat\troot@10.77.0.18:2222\tgroups: web\tkey recorded", list.Out, StringComparison.Ordinal);
        Assert.Contains("rekey\troot@10.77.0.26:22\tgroups: -\tkey recorded", list.Out, StringComparison.Ordinal);

        var before = File.ReadAllText(ws.KnownHosts);
        var refused = await ws.RunAsync("hosts", "trust", "rekey");
        Assert.Equal(1, refused.ExitCode);
        Assert.Matches(@"rekey \(10\.77\.0\.26\) presents ssh-\S+ SHA256:\S+", refused.Out);
        Assert.Contains("the key CHANGED", refused.Out, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(ws.KnownHosts));

        var trusted = await ws.RunAsync("hosts", "trust", "rekey", "--yes");
        Assert.True(trusted.ExitCode == 0, trusted.ToString());
        Assert.NotEqual(before, File.ReadAllText(ws.KnownHosts));
        var inventory = await ws.RunAsync("inventory", "rekey");
        Assert.True(inventory.ExitCode == 0, inventory.ToString());
        Assert.Contains("rekey (10.77.0.26:22): Debian GNU/Linux 12", inventory.Out, StringComparison.Ordinal);

        var again = await ws.RunAsync("hosts", "trust", "rekey");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("already recorded", again.Out, StringComparison.Ordinal);
    }

    // Served certificates and days left are the same; only the scan times differ.
    private static string Stable(string text) => text;
}
