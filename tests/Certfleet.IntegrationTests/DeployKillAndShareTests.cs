using Certfleet.Deployment;
using Certfleet.Lab;

namespace Certfleet.IntegrationTests;

/// <summary>A deployment killed midway, and share setup plans from the lab hosts' facts.</summary>
[Collection(LabFleetCollection.Name)]
public sealed class DeployKillAndShareTests(LabHosts lab)
{
    [Fact]
    public async Task A_deployment_killed_midway_leaves_valid_certificates_everywhere_and_the_next_run_finishes()
    {
        await using var d = new DeployLab(lab);
        d.WriteConfig(d.Config(rollout: "{ canary: 0, batch: 1, parallelism: 1 }"));
        var v1 = await d.IssueAsync();
        Assert.Equal(0, (await d.DeployAsync(DeployLab.Name)).ExitCode);
        d.UseDeployedFiles();
        Assert.Equal(0, (await d.DeployAsync(DeployLab.Name)).ExitCode);
        var v2 = await d.IssueAsync();

        using (var process = CliRun.Start("--config", d.Workspace.ConfigPath, "deploy", DeployLab.Name))
        {
            // One host at a time: kill as soon as the first one is done.
            string? line;
            while ((line = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken)) is not null && !line.Contains(": Deployed:", StringComparison.Ordinal))
            {
            }

            Assert.NotNull(line);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        var state = await DeploymentState.LoadAsync(d.StateDir, DeployLab.Name, TestContext.Current.CancellationToken);
        Assert.True(state!.InProgress);
        Assert.NotEmpty(state.Pending(["debian12", "rocky9", "ubuntu24", "tomcat"], v2));
        var served = await d.WaitServedAsync((_, s) => s == v1 || s == v2, TimeSpan.FromSeconds(60));
        Assert.All(served, kv => Assert.True(kv.Value == v1 || kv.Value == v2, $"{kv.Key} serves {kv.Value}"));
        Assert.Contains(served.Values, s => s == v2);

        var next = await d.DeployAsync(DeployLab.Name);
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.All(await d.ServedAsync(), kv => Assert.True(kv.Value == v2, $"{kv.Key} serves {kv.Value}\n{next}"));
        state = await DeploymentState.LoadAsync(d.StateDir, DeployLab.Name, TestContext.Current.CancellationToken);
        Assert.False(state!.InProgress);
        Assert.Empty(state.Pending(["debian12", "rocky9", "ubuntu24", "tomcat"], v2));
    }

    [Fact]
    public async Task Share_setup_dry_run_prints_distribution_specific_plans_for_rocky9_and_debian12()
    {
        await using var d = new DeployLab(lab);
        var yaml = d.Config().Replace("- { to: [debian12], method: push, path: /etc/nginx/certfleet, group: ssl-cert }", "- { to: [debian12], method: share, path: /etc/ssl/certfleet }", StringComparison.Ordinal);
        Assert.Contains("method: share, path: /etc/ssl/certfleet", yaml, StringComparison.Ordinal);
        d.WriteConfig(yaml.Replace($"share: {{ exportPath: {d.Export} }}", $"share: {{ exportPath: {d.Export}, server: issuer.lab.test }}", StringComparison.Ordinal));
        var before = d.Workspace.HashTrees();
        var run = await d.Workspace.RunAsync("share", "setup", "--dry-run");
        Assert.True(run.ExitCode == 0, run.ToString());
        var o = run.Out;
        var entry = o.Split('\n').Single(l => l.Contains("/etc/exports: ", StringComparison.Ordinal));
        Assert.Contains($"/etc/exports: {d.Export} ", entry, StringComparison.Ordinal);
        foreach (var host in new[] { "debian12", "rocky9", "ubuntu24" })
        {
            Assert.Contains($" {lab[host].Address}(ro,root_squash,", entry, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(lab["tomcat"].Address + "(", o, StringComparison.Ordinal);
        Assert.Contains("$ exportfs -ra", o, StringComparison.Ordinal);

        var rocky = Section(o, "rocky9 (Rocky Linux 9.4");
        Assert.Contains("$ dnf install -y nfs-utils", rocky, StringComparison.Ordinal);
        Assert.Contains("issuer.lab.test:" + d.Export + " /etc/httpd/certfleet-share nfs ro,", rocky, StringComparison.Ordinal);
        Assert.DoesNotContain("apt-get", rocky, StringComparison.Ordinal);

        var debian = Section(o, "debian12 (Debian GNU/Linux 12");
        Assert.Contains("apt-get install -y nfs-common", debian, StringComparison.Ordinal);
        Assert.Contains("/etc/ssl/certfleet nfs ro,", debian, StringComparison.Ordinal);
        Assert.DoesNotContain("nfs-utils", debian, StringComparison.Ordinal);
        Assert.DoesNotContain("setsebool", debian, StringComparison.Ordinal);

        // A dry run changes nothing on the hosts.
        Assert.Equal(before, d.Workspace.HashTrees());
    }

    private static string Section(string output, string start)
    {
        var i = output.IndexOf(start, StringComparison.Ordinal);
        Assert.True(i >= 0, $"no '{start}' in:\n{output}");
        var rest = output[(i + start.Length)..];
        var next = System.Text.RegularExpressions.Regex.Match(rest, @"\n[a-z0-9]+ \(", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
        return next.Success ? rest[..next.Index] : rest;
    }
}
