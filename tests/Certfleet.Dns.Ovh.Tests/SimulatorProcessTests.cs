using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Certfleet.Dns.Ovh.Tests;

/// <summary>The simulator as the demo runs it: a separate process configured from its command line.</summary>
public sealed class SimulatorProcessTests
{
    [Fact]
    public async Task The_executable_serves_the_api_and_takes_faults_at_run_time()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bind = await TestBind.StartAsync("example.test");
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }

        var dll = typeof(OvhSimulator.OvhSimulator).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "--urls", $"http://127.0.0.1:{port}", "--bind", bind.Endpoint, "--tsig-key-file", bind.KeyFile, "--app", $"{OvhLab.AppKey}:{OvhLab.AppSecret}", "--consumer-key", OvhLab.ConsumerKey, "--zone", "example.test", "--delay", "200ms", "--clock-skew", "120s" })
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        try
        {
            // The console logger writes too; the readiness line is the one the program prints itself.
            string? ready;
            do
            {
                ready = await process.StandardOutput.ReadLineAsync(ct);
            }
            while (ready is not null && !ready.StartsWith("sim: listening on", StringComparison.Ordinal));

            Assert.Equal($"sim: listening on http://127.0.0.1:{port}/1.0", ready);
            using var http = new HttpClient();
            var time = long.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/1.0/auth/time"), ct), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(time - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 118, 122);

            using var faults = new StringContent("""{"failureRate":1}""", Encoding.UTF8, "application/json");
            (await http.PostAsync(new Uri($"http://127.0.0.1:{port}/_sim/faults"), faults, ct)).EnsureSuccessStatusCode();
            var failed = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/1.0/auth/time"), ct);
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            Assert.Contains("Server::InternalServerError", await failed.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
            using var healthy = new StringContent("""{"failureRate":0}""", Encoding.UTF8, "application/json");
            (await http.PostAsync(new Uri($"http://127.0.0.1:{port}/_sim/faults"), healthy, ct)).EnsureSuccessStatusCode();

            var options = new OvhOptions("lab", new Uri($"http://127.0.0.1:{port}/1.0"),
                new OvhApplicationAuthentication(OvhLab.AppKey, new Configuration.Secret(OvhLab.AppSecret, "literal"), new Configuration.Secret(OvhLab.ConsumerKey, "literal")),
                null, 60, TimeSpan.FromSeconds(5));
            var provider = OvhProviderFactory.Create("lab", options, new DnsProviderContext(new CapturingLoggerFactory(), TimeProvider.System));
            var handle = await provider.AddTxtRecordAsync("_acme-challenge.example.test", "from-process", ct);
            await provider.PublishAsync([handle], ct);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while ((await bind.TxtAsync("_acme-challenge.example.test")).Count == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, ct);
            }

            Assert.Equal(["from-process"], await bind.TxtAsync("_acme-challenge.example.test"));
            var records = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/_sim/records?zone=example.test"), ct);
            Assert.Contains("from-process", records, StringComparison.Ordinal);
            await provider.RemoveTxtRecordsAsync([handle], ct);
            Assert.Equal("[]", await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/_sim/records?zone=example.test"), ct));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(ct);
        }
    }
}
