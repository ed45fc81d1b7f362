using Certfleet.Deployment;
using Certfleet.Lab;

namespace Certfleet.IntegrationTests;

/// <summary>Deployment to the lab web servers (nginx, httpd and apache2 layouts, Tomcat) by push and through a share.</summary>
[Collection(LabFleetCollection.Name)]
public sealed class DeployTests(LabHosts lab)
{
    [Fact]
    public async Task Renewal_reaches_every_web_server_a_failing_config_test_rolls_back_and_a_down_host_is_completed_later()
    {
        await using var d = new DeployLab(lab);
        d.WriteConfig(d.Config());

        // First version: no web server uses the files yet, so nothing is verified, but every host gets them.
        var v1 = await d.IssueAsync();
        var first = await d.DeployAsync(DeployLab.Name);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(v1, File.ReadAllText(Path.Combine(d.Export, DeployLab.Name, "current", "manifest.json")).Split('"').SkipWhile(s => s != "serial").Skip(2).First());
        Assert.True(File.Exists(d.Workspace.HostPath("tomcat", $"/var/lib/tomcat10/certfleet/{DeployLab.Name}/keystore.p12")));

        // The operator points the servers at the files; the renewal then reaches every endpoint.
        d.UseDeployedFiles();
        var v2 = await d.IssueAsync();
        var second = await d.DeployAsync(DeployLab.Name);
        Assert.True(second.ExitCode == 0, second.ToString());
        var served = await d.ServedAsync();
        Assert.All(served, kv => Assert.True(kv.Value == v2, $"{kv.Key} serves {kv.Value}, not {v2}\n{second}"));
        Assert.Contains("share at /etc/httpd/certfleet-share shows version", second.Out, StringComparison.Ordinal);
        Assert.Contains("nginx -t: ok", second.Out, StringComparison.Ordinal);

        // check sees the deployment: every endpoint on its managed files at the current version, both shares mounted
        // read-only with the issuer's files. With ubuntu24's share gone, check says so.
        var check = await d.Workspace.RunAsync(["check", "--json"]);
        // debian12's key is 0640 root:ssl-cert as its deploy target says (deploy.group): intended, not a warning.
        foreach (var code in new[] { "share-not-mounted", "share-writable", "share-stale", "share-file-missing", "unmanaged-files", "stale-version", "not-managed", "key-group-readable" })
        {
            Assert.False(check.Out.Contains($"\"code\": \"{code}\"", StringComparison.Ordinal), $"{code}:\n{check}");
        }

        Assert.Contains("\"host\": \"rocky9\"", check.Out, StringComparison.Ordinal);
        d.Unmount("ubuntu24");
        try
        {
            var unmounted = await d.Workspace.RunAsync(["check", "--json", "ubuntu24"]);
            Assert.True(unmounted.ExitCode == 1, unmounted.ToString());
            Assert.Contains("\"code\": \"share-not-mounted\"", unmounted.Out, StringComparison.Ordinal);
            Assert.Contains("/etc/apache2/certfleet-share is not a mount point on ubuntu24", unmounted.Out, StringComparison.Ordinal);
        }
        finally
        {
            d.Mount("ubuntu24");
        }

        // A configuration that fails its test on debian12: restored, not reloaded, still the old certificate; the others move on.
        d.Workspace.Write("debian12", "/etc/nginx/conf.d/zz-broken.conf", "this_is_not_a_directive on;\n");
        var v3 = await d.IssueAsync();
        var third = await d.DeployAsync(DeployLab.Name);
        Assert.True(third.ExitCode == 3, third.ToString());
        Assert.Contains("debian12: ConfigTestFailed", third.Error, StringComparison.Ordinal);
        Assert.Contains($"version {v2} restored", third.Error, StringComparison.Ordinal);
        served = await d.ServedAsync();
        Assert.Equal(v2, served["debian12"]);
        Assert.Equal(v3, served["rocky9"]);
        Assert.Equal(v3, served["ubuntu24"]);
        Assert.Equal(v3, served["tomcat"]);
        Assert.Equal($"versions/{v2}", new FileInfo(d.Workspace.HostPath("debian12", $"/etc/nginx/certfleet/{DeployLab.Name}/current")).LinkTarget);
        var state = await DeploymentState.LoadAsync(d.StateDir, DeployLab.Name, TestContext.Current.CancellationToken);
        Assert.Equal(["debian12"], state!.Pending(["debian12", "rocky9", "ubuntu24", "tomcat"], v3));
        Assert.False(state.InProgress);

        // The config is fixed: the next deploy completes debian12 without a new version.
        File.Delete(d.Workspace.HostPath("debian12", "/etc/nginx/conf.d/zz-broken.conf"));
        var versions = await d.VersionCountAsync();
        var fourth = await d.DeployAsync(DeployLab.Name, "--hosts", "debian12");
        Assert.True(fourth.ExitCode == 0, fourth.ToString());
        Assert.Equal(v3, (await d.WaitServedAsync((h, s) => s == v3, TimeSpan.FromSeconds(10)))["debian12"]);

        // A host that is down is reported; when it is back the next deploy completes it, still without a new order.
        var lateDown = d.Config(extraTargets: "      - { to: [late], method: push, path: /etc/nginx/certfleet-late }\n",
            hosts: "hosts:\n" + string.Concat(lab.Hosts.Select(h => $"  {h.Name}: {{ address: {h.Address}, port: {h.Port}, user: root, identityFile: {h.IdentityFile} }}\n"))
                + $"  late: {{ address: {lab["down"].Address}, port: 22, user: root, identityFile: {lab.IdentityFile} }}\n");
        d.WriteConfig(lateDown);
        var fifth = await d.DeployAsync(DeployLab.Name);
        Assert.True(fifth.ExitCode == 3, fifth.ToString());
        Assert.Contains("late: Unreachable", fifth.Error, StringComparison.Ordinal);
        Assert.True(fifth.Out.Contains("UpToDate: debian12, rocky9, ubuntu24, tomcat", StringComparison.Ordinal), fifth.ToString());
        d.WriteConfig(lateDown.Replace($"address: {lab["down"].Address}, port: 22", $"address: {lab["debian12"].Address}, port: 22", StringComparison.Ordinal));
        var sixth = await d.DeployAsync(DeployLab.Name);
        Assert.True(sixth.ExitCode == 0, sixth.ToString());
        Assert.Contains("Deployed: late", sixth.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(d.Workspace.HostPath("debian12", $"/etc/nginx/certfleet-late/{DeployLab.Name}/versions/{v3}/fullchain.pem")));
        Assert.Equal(versions, await d.VersionCountAsync());
        state = await DeploymentState.LoadAsync(d.StateDir, DeployLab.Name, TestContext.Current.CancellationToken);
        Assert.Empty(state!.Pending(["debian12", "rocky9", "ubuntu24", "tomcat", "late"], v3));
    }
}
