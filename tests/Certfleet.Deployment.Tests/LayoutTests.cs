using System.Diagnostics;
using System.Text;
using Certfleet.Configuration;
using Certfleet.Remote;

namespace Certfleet.Deployment.Tests;

/// <summary>The layout scripts run by a real sh on a temporary directory, and the share export written by the controller.</summary>
public sealed class LayoutTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("cf-layout-");

    public void Dispose() => _dir.Delete(true);

    private static async Task<CommandResult> ShAsync(RemoteCommand command)
    {
        var psi = new ProcessStartInfo(command.Arguments[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command.Arguments.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return new CommandResult(p.ExitCode, await o, await e);
    }

    private static async Task<CommandResult> ShAsync(RemoteCommand command, byte[] input)
    {
        var psi = new ProcessStartInfo(command.Arguments[0]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command.Arguments.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        try
        {
            await p.StandardInput.BaseStream.WriteAsync(input);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // The script stopped before reading its input (a failed prepare): its exit code says so.
        }

        await p.WaitForExitAsync();
        return new CommandResult(p.ExitCode, await o, await e);
    }

    private async Task<string?> InstallAsync(string baseDir, DeployPackage package)
    {
        var staging = Path.Combine(baseDir, $".staging-{Guid.NewGuid():N}");
        Assert.True((await ShAsync(RemoteLayout.Prepare(baseDir, staging, Environment.UserName))).Succeeded);
        foreach (var f in package.Files)
        {
            await File.WriteAllBytesAsync(Path.Combine(staging, f.Name), f.Content, TestContext.Current.CancellationToken);
            File.SetUnixFileMode(Path.Combine(staging, f.Name), f.Mode);
        }

        var group = Environment.IsPrivilegedProcess ? "root" : (await ShAsync(RemoteCommand.Of("id", "-gn"))).Stdout.Trim();
        var r = await ShAsync(RemoteLayout.Install(baseDir, staging, package.Version, Environment.UserName, group));
        Assert.True(r.Succeeded, r.Stderr);
        Assert.False(Directory.Exists(staging));
        var prev = r.Stdout.Trim()["previous".Length..].Trim();
        return prev.Length == 0 ? null : prev;
    }

    [Fact]
    public async Task Push_layout_switches_versions_atomically_keeps_the_previous_and_restores_it()
    {
        var baseDir = Path.Combine(_dir.FullName, "etc", "example");
        var v1 = DeployPackage.Create("example", TestCertificates.Bundle(), null);
        var v2 = DeployPackage.Create("example", TestCertificates.Bundle(), null);

        Assert.Null(await InstallAsync(baseDir, v1));
        Assert.Equal(v1.Files.Single(f => f.Name == "fullchain.pem").Content, await File.ReadAllBytesAsync(Path.Combine(baseDir, "fullchain.pem"), TestContext.Current.CancellationToken));
        Assert.Equal("current/fullchain.pem", new FileInfo(Path.Combine(baseDir, "fullchain.pem")).LinkTarget);
        Assert.Equal(v1.Version, await InstallAsync(baseDir, v2));
        Assert.Equal($"versions/{v2.Version}", new FileInfo(Path.Combine(baseDir, "current")).LinkTarget);
        Assert.Equal($"versions/{v1.Version}", new FileInfo(Path.Combine(baseDir, "previous")).LinkTarget);
        Assert.Equal((UnixFileMode)0b110_100_000, File.GetUnixFileMode(Path.Combine(baseDir, "versions", v2.Version, "privkey.pem")));

        // A second install of the same version (a rerun after a kill) changes nothing and keeps previous.
        Assert.Equal(v2.Version, await InstallAsync(baseDir, v2));
        Assert.Equal($"versions/{v1.Version}", new FileInfo(Path.Combine(baseDir, "previous")).LinkTarget);

        var (current, manifest) = RemoteLayout.ParseRead((await ShAsync(RemoteLayout.Read(baseDir))).Stdout);
        Assert.Equal(v2.Version, current);
        Assert.Equal(v2.Serial, manifest!.Serial);

        Assert.True((await ShAsync(RemoteLayout.Restore(baseDir, v1.Version))).Succeeded);
        Assert.Equal(v1.Files.Single(f => f.Name == "privkey.pem").Content, await File.ReadAllBytesAsync(Path.Combine(baseDir, "privkey.pem"), TestContext.Current.CancellationToken));
        var missing = await ShAsync(RemoteLayout.Restore(baseDir, "00FF"));
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("not in", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_in_one_command_unpacks_the_files_from_standard_input_with_their_modes_installs_and_prunes()
    {
        var baseDir = Path.Combine(_dir.FullName, "etc", "push");
        var group = Environment.IsPrivilegedProcess ? "root" : (await ShAsync(RemoteCommand.Of("id", "-gn"))).Stdout.Trim();
        string? previous = null;
        var versions = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var package = DeployPackage.Create("example", TestCertificates.Bundle(), null);
            var staging = Path.Combine(baseDir, $".staging-{Guid.NewGuid():N}");
            var r = await ShAsync(RemoteLayout.Push(baseDir, staging, package.Version, Environment.UserName, group, 3, Environment.UserName), RemoteLayout.Archive(package.Files));
            Assert.True(r.Succeeded, r.Stderr);
            Assert.Equal($"previous {previous}".Trim(), r.Stdout.Trim());
            Assert.False(Directory.Exists(staging));
            foreach (var f in package.Files)
            {
                var placed = Path.Combine(baseDir, "versions", package.Version, f.Name);
                Assert.Equal(f.Content, await File.ReadAllBytesAsync(placed, TestContext.Current.CancellationToken));
                Assert.Equal(f.Mode, File.GetUnixFileMode(placed));
            }

            Assert.Equal($"versions/{package.Version}", new FileInfo(Path.Combine(baseDir, "current")).LinkTarget);
            previous = package.Version;
            versions.Add(package.Version);
        }

        // Three versions kept: the newest, which include current and previous.
        Assert.Equal(versions.TakeLast(3).Order(StringComparer.Ordinal), Directory.GetDirectories(Path.Combine(baseDir, "versions")).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // Input that is no archive: nothing is switched and the staging directory is gone.
        var bad = Path.Combine(baseDir, $".staging-{Guid.NewGuid():N}");
        var broken = await ShAsync(RemoteLayout.Push(baseDir, bad, "00AB", Environment.UserName, group, 3, Environment.UserName), "not a tar archive"u8.ToArray());
        Assert.Equal(4, broken.ExitCode);
        Assert.False(Directory.Exists(bad));
        Assert.Equal($"versions/{previous}", new FileInfo(Path.Combine(baseDir, "current")).LinkTarget);
    }

    [Fact]
    public void Read_of_an_empty_place_is_no_version()
    {
        var (current, manifest) = RemoteLayout.ParseRead("current \n");
        Assert.Null(current);
        Assert.Null(manifest);
    }

    [Fact]
    public async Task Share_export_publishes_a_complete_version_then_switches_and_can_switch_back()
    {
        var export = new ShareExport(Path.Combine(_dir.FullName, "srv"));
        var v1 = DeployPackage.Create("example", TestCertificates.Bundle(), null);
        var v2 = DeployPackage.Create("example", TestCertificates.Bundle(), null);
        var group = Environment.IsPrivilegedProcess ? "root" : "root";
        Assert.Null(await export.PublishAsync(v1, "root", group, TestContext.Current.CancellationToken));
        Assert.Equal(v1.Version, await export.PublishAsync(v2, "root", group, TestContext.Current.CancellationToken));
        Assert.Equal(v2.Version, export.Current("example"));
        var baseDir = export.BaseOf("example");
        var manifest = DeployManifest.Parse(await File.ReadAllBytesAsync(Path.Combine(baseDir, "manifest.json"), TestContext.Current.CancellationToken))!;
        Assert.Equal(v2.Serial, manifest.Serial);
        var files = DeployPackage.LinkedNames.Where(n => n != "manifest.json" && File.Exists(Path.Combine(baseDir, n)))
            .ToDictionary(n => n, n => File.ReadAllBytes(Path.Combine(baseDir, n)));
        Assert.Empty(DeployPackage.Verify(manifest, files));
        Assert.Equal((UnixFileMode)0b110_100_000, File.GetUnixFileMode(Path.Combine(baseDir, "versions", v2.Version, "privkey.pem")));
        Assert.Empty(Directory.GetDirectories(baseDir, ".staging-*"));

        export.Restore("example", v1.Version);
        Assert.Equal(v1.Version, export.Current("example"));
        Assert.Throws<DeploymentException>(() => export.Restore("example", "0000"));
    }

    [Fact]
    public void Deploy_list_shares_and_rollout_are_read_with_defaults_and_errors_located()
    {
        const string yaml = """
            certificates:
              example:
                deploy:
                  - to: "@web"
                    method: share
                    path: /etc/ssl/certfleet/
                    services: auto
                    group: ssl-cert
                  - to: [tomcat1]
                    services: [tomcat10]
                    tomcat: { keystore: pkcs12, password: env:KS, alias: web }
                  - to: x
                    method: scp
            share: { exportPath: /srv/certfleet }
            rollout: { canary: 2, batch: 5 }
            """;
        var errors = new ConfigErrors();
        var root = ConfigNode.Parse(yaml, "t.yaml", errors, n => n == "KS" ? "pw" : null);
        var certs = root.GetNamedSections(new ConfigKey("certificates", ConfigValueKind.NamedSections, "x"));
        var targets = DeployOptions.ReadTargets(certs[0].Node);
        Assert.Equal(2, targets.Count);
        Assert.Equal(DeployMethod.Share, targets[0].Method);
        Assert.Equal("/etc/ssl/certfleet", targets[0].Path);
        Assert.Null(targets[0].Services);
        Assert.Equal("ssl-cert", targets[0].Group);
        Assert.Equal(DeployMethod.Push, targets[1].Method);
        Assert.Equal(["tomcat10"], targets[1].Services);
        Assert.Equal("pw", targets[1].Tomcat!.Password!.Reveal());
        Assert.Equal("web", targets[1].Tomcat!.Alias);
        var error = Assert.Single(errors.All);
        Assert.Contains("'scp' is not one of: share, push", error.Message, StringComparison.Ordinal);
        Assert.Equal(13, error.Location.Line);
        Assert.Equal(new RolloutOptions(2, 5, 16), DeployOptions.ReadRollout(root));
        Assert.Equal("/srv/certfleet", DeployOptions.ReadShare(root)!.ExportPath);
        Assert.DoesNotContain(errors.All, e => e.Message.Contains("pw", StringComparison.Ordinal));
        _ = Encoding.UTF8;
    }
}
