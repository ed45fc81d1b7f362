using System.Diagnostics;

namespace Certfleet.IntegrationTests;

public sealed class RenewScheduleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Schedule_install_dry_run_prints_units_that_systemd_analyze_verifies()
    {
        var dir = Directory.CreateTempSubdirectory("certfleet-sched-").FullName;
        try
        {
            var config = Path.Combine(dir, "certfleet.yaml");
            var state = Path.Combine(dir, "state");
            Directory.CreateDirectory(state);
            await File.WriteAllTextAsync(config, $"stateDir: {state}\n", Ct);
            var run = await CliRun.InProcessAsync(["--config", config, "schedule", "install", "--systemd", "--dry-run"]);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.False(File.Exists("/etc/systemd/system/certfleet-renew.service") && !run.Out.Contains("# /etc", StringComparison.Ordinal));

            var files = Split(run.Out);
            Assert.Equal(["certfleet-renew.service", "certfleet-renew.timer"], files.Keys.Order(StringComparer.Ordinal));
            Assert.Contains($"ReadWritePaths={state}", files["certfleet-renew.service"], StringComparison.Ordinal);
            Assert.Contains("ProtectSystem=strict", files["certfleet-renew.service"], StringComparison.Ordinal);
            Assert.Contains($"--config {config} renew", files["certfleet-renew.service"], StringComparison.Ordinal);
            Assert.Contains("Persistent=true", files["certfleet-renew.timer"], StringComparison.Ordinal);
            Assert.Contains("RandomizedDelaySec=", files["certfleet-renew.timer"], StringComparison.Ordinal);

            var units = Path.Combine(dir, "units");
            Directory.CreateDirectory(units);
            foreach (var (name, content) in files)
            {
                await File.WriteAllTextAsync(Path.Combine(units, name), content, Ct);
            }

            var info = new ProcessStartInfo("systemd-analyze") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            info.ArgumentList.Add("verify");
            info.ArgumentList.Add(Path.Combine(units, "certfleet-renew.service"));
            info.ArgumentList.Add(Path.Combine(units, "certfleet-renew.timer"));
            info.Environment["SYSTEMD_LOG_LEVEL"] = "notice";
            using var p = Process.Start(info)!;
            var stderr = await p.StandardError.ReadToEndAsync(Ct);
            var stdout = await p.StandardOutput.ReadToEndAsync(Ct);
            await p.WaitForExitAsync(Ct);
            Assert.True(p.ExitCode == 0 && !stderr.Contains("certfleet-renew", StringComparison.Ordinal), stdout + stderr);

            // A broken unit is caught by the same check, so the check itself can fail.
            await File.WriteAllTextAsync(Path.Combine(units, "certfleet-renew.service"), files["certfleet-renew.service"].Replace("Type=oneshot", "Type=bogus", StringComparison.Ordinal), Ct);
            using var broken = Process.Start(info)!;
            var brokenErr = await broken.StandardError.ReadToEndAsync(Ct);
            await broken.WaitForExitAsync(Ct);
            Assert.Contains("bogus", brokenErr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Schedule_install_cron_dry_run_prints_a_random_minute_twice_a_day()
    {
        var dir = Directory.CreateTempSubdirectory("certfleet-sched-").FullName;
        try
        {
            var config = Path.Combine(dir, "certfleet.yaml");
            await File.WriteAllTextAsync(config, $"stateDir: {dir}\n", Ct);
            var run = await CliRun.InProcessAsync(["--config", config, "schedule", "install", "--cron", "--user", "certfleet", "--dry-run"]);
            Assert.True(run.ExitCode == 0, run.ToString());
            var line = run.Out.Split('\n').Single(l => !l.StartsWith('#') && l.Contains(" renew", StringComparison.Ordinal));
            var fields = line.Split(' ');
            Assert.InRange(int.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture), 0, 59);
            var hours = fields[1].Split(',').Select(h => int.Parse(h, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(12, hours[1] - hours[0]);
            Assert.Equal("certfleet", fields[5]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Dictionary<string, string> Split(string output)
    {
        var files = new Dictionary<string, string>();
        string? current = null;
        var content = new System.Text.StringBuilder();
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith("# /", StringComparison.Ordinal))
            {
                if (current is not null)
                {
                    files[current] = content.ToString();
                }

                current = Path.GetFileName(line[2..].Trim());
                content.Clear();
            }
            else if (current is not null)
            {
                content.Append(line).Append('\n');
            }
        }

        if (current is not null)
        {
            files[current] = content.ToString();
        }

        return files;
    }
}
