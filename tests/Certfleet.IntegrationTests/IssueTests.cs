using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Certfleet.IntegrationTests;

public sealed class IssueTests(PebbleBindFixture lab) : IClassFixture<PebbleBindFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Issues_a_wildcard_and_a_name_in_a_second_zone_and_leaves_no_challenge_record()
    {
        using var ws = new LabWorkspace(lab);
        ws.WriteConfig(ws.Config("""
              example:
                domains: [example.test, "*.example.test", www.other.test]
                dnsProvider: lab
            """));

        var run = await ws.RunAsync("issue", "example");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("publishing 3 TXT record(s) at 2 name(s)", run.Out, StringComparison.Ordinal);

        var live = Path.Combine(ws.StateDir, "live", "example");
        using var leaf = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(live, "cert.pem")));
        var names = SanNames(leaf);
        Assert.Equal(["*.example.test", "example.test", "www.other.test"], names.Order(StringComparer.Ordinal));

        // The chain verifies against Pebble's root, fetched from its management API.
        var root = X509Certificate2.CreateFromPem(await lab.Pebble.GetRootPemAsync(0, Ct));
        var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var full = new X509Certificate2Collection();
        full.ImportFromPemFile(Path.Combine(live, "fullchain.pem"));
        chain.ChainPolicy.ExtraStore.AddRange(full);
        Assert.True(chain.Build(leaf), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));

        Assert.Empty(await lab.Bind.QueryTxtAsync("_acme-challenge.example.test", Ct));
        Assert.Empty(await lab.Bind.QueryTxtAsync("_acme-challenge.www.other.test", Ct));
        Assert.Empty(Directory.Exists(Path.Combine(ws.StateDir, "pending")) ? Directory.GetFiles(Path.Combine(ws.StateDir, "pending")) : []);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(live, "privkey.pem")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(ws.StateDir));

        var status = await ws.RunAsync("status", "--json");
        Assert.Equal(0, status.ExitCode);
        using var doc = JsonDocument.Parse(status.Out);
        var entry = doc.RootElement.GetProperty("certificates")[0];
        Assert.Equal("example", entry.GetProperty("name").GetString());
        Assert.Equal(leaf.SerialNumber.ToLowerInvariant(), entry.GetProperty("serial").GetString()!.ToLowerInvariant());
        Assert.Equal("ec-p256", entry.GetProperty("keyType").GetString());
        Assert.True(entry.GetProperty("renewAfter").GetDateTimeOffset() < entry.GetProperty("notAfter").GetDateTimeOffset());
    }

    [Fact]
    public async Task Unicode_and_upper_case_names_are_ordered_as_a_labels()
    {
        using var ws = new LabWorkspace(lab);
        ws.WriteConfig(ws.Config("""
              idn:
                domains: [Café.Example.TEST]
                dnsProvider: lab
                keyType: rsa-2048
            """));

        var run = await ws.RunAsync("issue", "idn");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var leaf = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(ws.StateDir, "live", "idn", "cert.pem")));
        Assert.Equal(["xn--caf-dma.example.test"], SanNames(leaf));
        Assert.Contains("rsa-2048", (await ws.RunAsync("status")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_killed_while_waiting_for_propagation_is_finished_by_the_next_run()
    {
        using var ws = new LabWorkspace(lab);
        const string certificates = """
              killed:
                domains: [killed.example.test, "*.killed.example.test"]
                dnsProvider: lab
            """;

        // Propagation is checked against a port where nothing answers, so the first run waits there.
        ws.WriteConfig(ws.Config(certificates, propagationNameserver: "127.0.0.1:9", timeout: "5m"));
        using (var process = CliRun.Start("--config", ws.ConfigPath, "issue", "killed"))
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            // BIND's update log tells when both values were added, without querying the zone.
            while (CountOccurrences(lab.Bind.ReadLog(), "adding an RR at '_acme-challenge.killed.example.test'") < 2)
            {
                if (process.HasExited)
                {
                    Assert.Fail("certfleet ended before publishing: " + await process.StandardError.ReadToEndAsync(Ct));
                }

                if (DateTime.UtcNow > deadline)
                {
                    process.Kill(entireProcessTree: true);
                    Assert.Fail("the records never appeared: " + await process.StandardOutput.ReadToEndAsync(Ct) + await process.StandardError.ReadToEndAsync(Ct) + "\n--- named\n" + lab.Bind.ReadLog());
                }

                await Task.Delay(100, Ct);
            }

            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Ct);
        }

        Assert.Equal(2, (await lab.Bind.QueryTxtAsync("_acme-challenge.killed.example.test", Ct)).Count);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(ws.StateDir, "pending")).Length);

        ws.WriteConfig(ws.Config(certificates));
        var run = await ws.RunAsync("issue", "killed");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("left by an interrupted run", run.Out, StringComparison.Ordinal);
        Assert.Empty(await lab.Bind.QueryTxtAsync("_acme-challenge.killed.example.test", Ct));
        Assert.Empty(Directory.GetFiles(Path.Combine(ws.StateDir, "pending")));
        Assert.True(File.Exists(Path.Combine(ws.StateDir, "live", "killed", "fullchain.pem")));
    }

    private static int CountOccurrences(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    internal static List<string> SanNames(X509Certificate2 certificate)
    {
        var ext = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        return ext.EnumerateDnsNames().ToList();
    }
}
