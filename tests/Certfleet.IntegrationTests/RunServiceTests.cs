using System.Collections.Concurrent;
using System.Diagnostics;

namespace Certfleet.IntegrationTests;

/// <summary><c>certfleet run</c> as the service it is: renews on its own, reloads certfleet.yaml on SIGHUP, stops on SIGTERM.</summary>
public sealed class RunServiceTests(PebbleBindFixture lab) : IClassFixture<PebbleBindFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_service_renews_reloads_its_configuration_on_sighup_and_stops_cleanly_on_sigterm()
    {
        using var ws = new LabWorkspace(lab);
        const string first = """
              first:
                domains: [first.example.test]
                dnsProvider: lab
            """;
        const string second = """
              second:
                domains: [second.example.test, "*.second.example.test"]
                dnsProvider: lab
            """;
        ws.WriteConfig(ws.Config(first));

        using var service = CliRun.Start("--config", ws.ConfigPath, "run");
        var lines = new ConcurrentQueue<string>();
        service.OutputDataReceived += (_, e) => { if (e.Data is { } l) { lines.Enqueue(l); } };
        service.ErrorDataReceived += (_, e) => { if (e.Data is { } l) { lines.Enqueue(l); } };
        service.BeginOutputReadLine();
        service.BeginErrorReadLine();
        try
        {
            // Its first cycle issues what has no certificate yet, then it sleeps until the next check.
            await WaitForAsync(lines, "first: renewed: serial", TimeSpan.FromSeconds(90));
            await WaitForAsync(lines, "Next check in", TimeSpan.FromSeconds(30));
            Assert.True(File.Exists(Path.Combine(ws.StateDir, "live", "first", "fullchain.pem")));

            // A new certificate in the file is picked up on SIGHUP, without waiting for the next check.
            ws.WriteConfig(ws.Config(first + "\n" + second));
            Signal("HUP", service.Id);
            await WaitForAsync(lines, "2 certificate(s)", TimeSpan.FromSeconds(30));
            await WaitForAsync(lines, "second: renewed: serial", TimeSpan.FromSeconds(90));
            Assert.True(File.Exists(Path.Combine(ws.StateDir, "live", "second", "fullchain.pem")));

            // A broken file on SIGHUP is refused and the service keeps the configuration it has.
            ws.WriteConfig("certificates: [\n");
            Signal("HUP", service.Id);
            await WaitForAsync(lines, "Configuration not (re)loaded, keeping the previous one", TimeSpan.FromSeconds(30));
            Assert.False(service.HasExited);

            Signal("TERM", service.Id);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            await service.WaitForExitAsync(timeout.Token);
            Assert.True(service.ExitCode == 0, string.Join('\n', lines));
        }
        finally
        {
            if (!service.HasExited)
            {
                service.Kill(entireProcessTree: true);
            }
        }

        Assert.Empty(await lab.Bind.QueryTxtAsync("_acme-challenge.second.example.test", Ct));
        var pending = Path.Combine(ws.StateDir, "pending");
        Assert.Empty(Directory.Exists(pending) ? Directory.GetFiles(pending) : []);
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private static async Task WaitForAsync(ConcurrentQueue<string> lines, string text, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (!lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            Assert.True(sw.Elapsed < timeout, $"'{text}' did not appear within {timeout.TotalSeconds:0} s:\n{string.Join('\n', lines)}");
            await Task.Delay(100, Ct);
        }
    }
}
