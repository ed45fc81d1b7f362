using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Certfleet.Lab;

namespace Certfleet.IntegrationTests;

/// <summary>A lab whose Pebble issues certificates valid for 40 seconds, so that they fall due during a test.</summary>
public sealed class ShortValidityLab : IAsyncLifetime
{
    public const int ValiditySeconds = 40;

    public PebbleBindFixture Lab { get; } = new(ValiditySeconds);

    public ValueTask InitializeAsync() => Lab.InitializeAsync();

    public ValueTask DisposeAsync() => Lab.DisposeAsync();
}

public sealed class RenewTests(ShortValidityLab fixture) : IClassFixture<ShortValidityLab>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private PebbleBindFixture Lab => fixture.Lab;

    /// <summary>The lab configuration plus a provider with a wrong TSIG secret, CAA asked of the lab's BIND, and extra sections.</summary>
    private static string Config(LabWorkspace ws, string certificates, string extra = "") =>
        ws.Config(certificates).Replace("  providers:\n", $"""
              providers:
                broken:
                  type: rfc2136
                  server: {ws.Lab.Bind.Endpoint}
                  tsigKeyName: {ws.Lab.Bind.TsigKeyName}
                  tsigAlgorithm: {ws.Lab.Bind.TsigAlgorithm}
                  tsigSecret: {Convert.ToBase64String(new byte[32])}

            """, StringComparison.Ordinal) + $"""

            renewal:
              checkInterval: 5s
              caa:
                identities: [pebble.example]
                nameservers: ["{ws.Lab.Bind.Endpoint}"]
            {extra}
            """;

    private static string Serial(LabWorkspace ws, string name) =>
        X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(ws.StateDir, "live", name, "cert.pem"))).SerialNumber;

    [Fact]
    public async Task A_short_lived_certificate_is_renewed_once_due_and_the_next_run_does_nothing()
    {
        using var ws = new LabWorkspace(Lab);
        ws.WriteConfig(Config(ws, """
              short:
                domains: [short.example.test]
                dnsProvider: lab
            """));
        var first = await ws.RunAsync("renew");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("1 renewed", first.Out, StringComparison.Ordinal);
        var serial = Serial(ws, "short");
        using var leaf = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(ws.StateDir, "live", "short", "cert.pem")));

        var early = await ws.RunAsync("renew");
        Assert.True(early.ExitCode == 0, early.ToString());
        Assert.Contains("short: not due: renews at", early.Out, StringComparison.Ordinal);
        Assert.Equal(serial, Serial(ws, "short"));

        // Half of a lifetime under 10 days: due 20 s after notBefore.
        var dueAt = leaf.NotBefore.ToUniversalTime() + TimeSpan.FromSeconds(ShortValidityLab.ValiditySeconds / 2.0 + 1);
        var plan = await ws.RunAsync("renew", "--dry-run");
        Assert.Contains("short:", plan.Out, StringComparison.Ordinal);
        if (dueAt > DateTime.UtcNow)
        {
            await Task.Delay(dueAt - DateTime.UtcNow, Ct);
        }

        var dry = await ws.RunAsync("renew", "--dry-run");
        Assert.Contains("short: due", dry.Out, StringComparison.Ordinal);
        Assert.Equal(serial, Serial(ws, "short"));

        var renewed = await ws.RunAsync("renew");
        Assert.True(renewed.ExitCode == 0, renewed.ToString());
        Assert.Contains("less than half of its lifetime left", renewed.Out, StringComparison.Ordinal);
        Assert.NotEqual(serial, Serial(ws, "short"));
        var second = Serial(ws, "short");

        var again = await ws.RunAsync("renew");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("0 renewed, 0 failed, 1 not due", again.Out, StringComparison.Ordinal);
        Assert.Equal(second, Serial(ws, "short"));

        var history = await ws.RunAsync("history", "short", "--json");
        using var doc = JsonDocument.Parse(history.Out);
        var kinds = doc.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal(2, kinds.Count(k => k == "issued"));
        Assert.Equal(2, kinds.Count(k => k == "order"));

        var status = await ws.RunAsync("status", "--json");
        var entry = JsonDocument.Parse(status.Out).RootElement.GetProperty("certificates")[0];
        Assert.StartsWith("renewed ", entry.GetProperty("lastResult").GetString(), StringComparison.Ordinal);
        Assert.Contains("half of its lifetime", entry.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_renew_processes_started_together_one_renews_the_other_reports_the_lock()
    {
        using var ws = new LabWorkspace(Lab);
        ws.WriteConfig(Config(ws, """
              locked:
                domains: [locked.example.test, "*.locked.example.test"]
                dnsProvider: lab
            """));
        using var a = CliRun.Start("--config", ws.ConfigPath, "renew");
        using var b = CliRun.Start("--config", ws.ConfigPath, "renew");
        var outputs = await Task.WhenAll(Finish(a), Finish(b));
        Assert.Equal([0, 1], outputs.Select(o => o.Code).Order());
        var loser = outputs.Single(o => o.Code == 1);
        // "by pid N on HOST", or "by another process" when the holder has not written its details yet.
        Assert.Contains("certfleet.lock is held by ", loser.Error, StringComparison.Ordinal);
        Assert.Contains("wait for it to finish", loser.Error, StringComparison.Ordinal);
        var winner = outputs.Single(o => o.Code == 0);
        Assert.Contains("1 renewed", winner.Out, StringComparison.Ordinal);
        Assert.Empty(await Lab.Bind.QueryTxtAsync("_acme-challenge.locked.example.test", Ct));
        Assert.Empty(Directory.Exists(Path.Combine(ws.StateDir, "pending")) ? Directory.GetFiles(Path.Combine(ws.StateDir, "pending")) : []);
    }

    private static async Task<(int Code, string Out, string Error)> Finish(Process p)
    {
        var stdout = p.StandardOutput.ReadToEndAsync(Ct);
        var stderr = p.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task A_failing_certificate_is_reported_notified_backed_off_and_does_not_stop_the_other()
    {
        await using var smtp = await SmtpSink.StartAsync(Ct);
        using var hook = new WebhookSink(HttpStatusCode.NoContent);
        using var ws = new LabWorkspace(Lab);
        ws.WriteConfig(Config(ws, """
              good:
                domains: [good.example.test]
                dnsProvider: lab
              bad:
                domains: [bad.example.test]
                dnsProvider: broken
            """, string.Create(CultureInfo.InvariantCulture, $"""
            notifications:
              smtp:
                host: 127.0.0.1
                port: {smtp.Port}
                security: none
                from: certfleet@example.test
                to: [ops@example.test]
              webhooks:
                ops:
                  url: http://127.0.0.1:{hook.Port}/hook
                  format: json
            """)));

        var run = await ws.RunAsync("renew");
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("bad: FAILED: ", run.Error, StringComparison.Ordinal);
        Assert.Contains("next attempt after", run.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(ws.StateDir, "live", "good", "cert.pem")), run.ToString());
        Assert.Contains("1 renewed, 1 failed", run.Out, StringComparison.Ordinal);

        var mail = await smtp.WaitForAsync("renewal of bad failed", Ct);
        Assert.Contains("Subject: certfleet: renewal of bad failed", mail, StringComparison.Ordinal);
        Assert.Contains("certificate: bad", mail, StringComparison.Ordinal);
        var body = Assert.Single(hook.Requests).Body;
        using (var doc = JsonDocument.Parse(body))
        {
            Assert.Equal("failure", doc.RootElement.GetProperty("event").GetString());
            Assert.Equal("bad", doc.RootElement.GetProperty("certificate").GetString());
            Assert.Equal(1, doc.RootElement.GetProperty("failures").GetInt32());
            Assert.StartsWith("dns", doc.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        // Backed off: the next run does not try again, and says until when.
        var next = await ws.RunAsync("renew");
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Contains("bad: not now: no certificate yet; backing off after 1 failure(s) until", next.Out, StringComparison.Ordinal);
        Assert.Single(hook.Requests);

        var status = await ws.RunAsync("status", "--json");
        var bad = JsonDocument.Parse(status.Out).RootElement.GetProperty("certificates").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "bad");
        Assert.Equal(1, bad.GetProperty("failures").GetInt32());
        Assert.True(bad.GetProperty("backoffUntil").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.StartsWith("failed ", bad.GetProperty("lastResult").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Caa_in_the_zone_that_names_another_ca_stops_the_order()
    {
        using var ws = new LabWorkspace(Lab);
        ws.WriteConfig(Config(ws, """
              caa:
                domains: [www.caa.other.test]
                dnsProvider: lab
            """));
        await NsupdateAsync(ws, "update add caa.other.test. 60 CAA 0 issue \"ca.example.net\"");
        try
        {
            var run = await ws.RunAsync("renew");
            Assert.True(run.ExitCode == 1, run.ToString());
            Assert.Contains("caa: www.caa.other.test: CAA at caa.other.test authorizes only \"ca.example.net\"", run.Error, StringComparison.Ordinal);
            var history = await ws.RunAsync("history", "caa", "--json");
            var kinds = JsonDocument.Parse(history.Out).RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
            Assert.DoesNotContain("order", kinds);
            Assert.Contains("failed", kinds);
        }
        finally
        {
            await NsupdateAsync(ws, "update delete caa.other.test. CAA");
        }
    }

    private static async Task NsupdateAsync(LabWorkspace ws, string command)
    {
        var keyFile = Path.Combine(ws.Root, "tsig.key");
        await File.WriteAllTextAsync(keyFile, $"key \"{ws.Lab.Bind.TsigKeyName}\" {{ algorithm {ws.Lab.Bind.TsigAlgorithm}; secret \"{ws.Lab.Bind.TsigSecretBase64}\"; }};\n", Ct);
        var info = new ProcessStartInfo("/usr/bin/nsupdate") { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-k");
        info.ArgumentList.Add(keyFile);
        using var p = Process.Start(info)!;
        await p.StandardInput.WriteAsync($"server 127.0.0.1 {ws.Lab.Bind.Port}\n{command}\nsend\n");
        p.StandardInput.Close();
        var error = await p.StandardError.ReadToEndAsync(Ct);
        await p.WaitForExitAsync(Ct);
        Assert.True(p.ExitCode == 0, error);
    }
}
