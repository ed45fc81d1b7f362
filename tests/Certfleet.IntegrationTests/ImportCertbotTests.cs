using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Certfleet.Cli;
using Certfleet.Lab;

namespace Certfleet.IntegrationTests;

/// <summary>
/// BIND and a Pebble that rejects no nonces: certbot's ACME library retries a badNonce only once,
/// so the 30 % rejection of <see cref="PebbleBindFixture"/> would make certbot itself flaky.
/// </summary>
public sealed class CertbotLabFixture : IAsyncLifetime
{
    public BindServer Bind { get; private set; } = null!;

    public PebbleServer Pebble { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Bind = await BindServer.StartAsync();
        Pebble = await PebbleServer.StartAsync(new PebbleOptions { DnsServer = Bind.Endpoint, NonceRejectPercent = 0 });
    }

    public async ValueTask DisposeAsync()
    {
        await Pebble.DisposeAsync();
        await Bind.DisposeAsync();
    }
}

public sealed class ImportCertbotTests(CertbotLabFixture lab) : IClassFixture<CertbotLabFixture>, IDisposable
{
    private const string Certbot = "/usr/bin/certbot";
    private readonly string _root = Directory.CreateTempSubdirectory("certfleet-certbot-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_certbot_lineage_is_taken_over_and_the_next_issuance_continues_it()
    {
        Assert.True(File.Exists(Certbot), "certbot is missing: run scripts/prereqs.sh (apt-get install certbot python3-certbot-dns-rfc2136)");
        var letsencrypt = Path.Combine(_root, "letsencrypt");
        var issued = await RunCertbotAsync(letsencrypt, "example", "example.test", "*.example.test");
        Assert.True(issued.ExitCode == 0, issued.ToString());
        var certbotLive = Path.Combine(letsencrypt, "live", "example");
        using var certbotLeaf = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(certbotLive, "cert.pem")));

        var stateDir = Path.Combine(_root, "state");
        var config = Path.Combine(_root, "certfleet.yaml");
        var baseConfig = BaseConfig(stateDir);
        File.WriteAllText(config, baseConfig);

        var import = await CliRun.InProcessAsync(["--config", config, "import", "certbot", letsencrypt, "--name", "example"]);
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains("example: imported as version 1", import.Out, StringComparison.Ordinal);

        // The store holds certbot's files byte for byte, the key readable by its owner only.
        var live = Path.Combine(stateDir, "live", "example");
        foreach (var file in new[] { "cert.pem", "chain.pem", "fullchain.pem", "privkey.pem" })
        {
            Assert.Equal(File.ReadAllText(Path.Combine(certbotLive, file)), File.ReadAllText(Path.Combine(live, file)));
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(live, "privkey.pem")));

        // The printed entry is valid configuration as it stands.
        var entryStart = import.Out.IndexOf("certificates:\n", StringComparison.Ordinal);
        Assert.True(entryStart >= 0, import.Out);
        var entry = import.Out[entryStart..import.Out.IndexOf("\nThen disable", StringComparison.Ordinal)];
        Assert.Contains("dnsProvider: lab", entry, StringComparison.Ordinal);
        Assert.Contains("\"*.example.test\"", entry, StringComparison.Ordinal);
        Assert.Contains("keyType: ec-p256", entry, StringComparison.Ordinal);
        File.WriteAllText(config, baseConfig + entry);

        var again = await CliRun.InProcessAsync(["--config", config, "import", "certbot", letsencrypt]);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("example: already imported", again.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Add to", again.Out, StringComparison.Ordinal);

        var status = await CliRun.InProcessAsync(["--config", config, "status"]);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains(certbotLeaf.SerialNumber, status.Out, StringComparison.OrdinalIgnoreCase);

        // renew --force when the renewal command exists; until then issue, which also adds a version to the lineage.
        var hasRenew = CliApplication.BuildRoot(new CliConsole(TextWriter.Null, TextWriter.Null, false, _ => null)).Subcommands.Any(c => c.Name == "renew");
        var next = await CliRun.InProcessAsync(hasRenew ? ["--config", config, "renew", "--force", "example"] : ["--config", config, "issue", "example"]);
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Equal("0002", Path.GetFileName(new DirectoryInfo(live).ResolveLinkTarget(returnFinalTarget: true)!.FullName));
        using var renewed = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(live, "cert.pem")));
        Assert.NotEqual(certbotLeaf.SerialNumber, renewed.SerialNumber);
        Assert.Equal(SanNames(certbotLeaf).Order(StringComparer.Ordinal), SanNames(renewed).Order(StringComparer.Ordinal));
        Assert.True(File.Exists(Path.Combine(stateDir, "archive", "example", "0001", "cert.pem")));

        // certbot's own files were only read.
        Assert.Equal(certbotLeaf.RawData, X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(certbotLive, "cert.pem"))).RawData);
    }

    [Fact]
    public async Task A_missing_directory_is_a_usage_error_that_names_it()
    {
        var config = Path.Combine(_root, "certfleet.yaml");
        File.WriteAllText(config, BaseConfig(Path.Combine(_root, "state")));
        var missing = Path.Combine(_root, "nowhere");
        var run = await CliRun.InProcessAsync(["--config", config, "import", "certbot", missing]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"import: {Path.Combine(missing, "live")} does not exist", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, "state", "live")));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string BaseConfig(string stateDir)
    {
        var tls = Path.Combine(_root, "pebble-tls.pem");
        File.WriteAllText(tls, lab.Pebble.TlsRootPem);
        var secret = Path.Combine(_root, "tsig.secret");
        File.WriteAllText(secret, lab.Bind.TsigSecretBase64 + "\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return string.Create(CultureInfo.InvariantCulture, $"""
            stateDir: {stateDir}
            acme:
              directory: {lab.Pebble.DirectoryUri}
              email: ops@example.test
              caBundle: {tls}
            dns:
              propagation:
                timeout: 30s
                interval: 200ms
                nameservers: ["{lab.Bind.Endpoint}"]
              providers:
                lab:
                  type: rfc2136
                  server: {lab.Bind.Endpoint}
                  tsigKeyName: {lab.Bind.TsigKeyName}
                  tsigAlgorithm: {lab.Bind.TsigAlgorithm}
                  tsigSecret: file:{secret}

            """);
    }

    private async Task<CliRun> RunCertbotAsync(string configDir, string name, params string[] domains)
    {
        var credentials = Path.Combine(_root, "rfc2136.ini");
        File.WriteAllText(credentials, string.Create(CultureInfo.InvariantCulture, $"""
            dns_rfc2136_server = 127.0.0.1
            dns_rfc2136_port = {lab.Bind.Port}
            dns_rfc2136_name = {lab.Bind.TsigKeyName}
            dns_rfc2136_secret = {lab.Bind.TsigSecretBase64}
            dns_rfc2136_algorithm = {lab.Bind.TsigAlgorithm.ToUpperInvariant()}

            """));
        File.SetUnixFileMode(credentials, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var bundle = Path.Combine(_root, "pebble-tls-certbot.pem");
        File.WriteAllText(bundle, lab.Pebble.TlsRootPem);

        var info = new ProcessStartInfo(Certbot) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] args =
        [
            "certonly", "--non-interactive", "--agree-tos", "-m", "ops@example.test",
            "--server", lab.Pebble.DirectoryUri.ToString(),
            "--dns-rfc2136", "--dns-rfc2136-credentials", credentials, "--dns-rfc2136-propagation-seconds", "0",
            "--config-dir", configDir, "--work-dir", Path.Combine(_root, "work"), "--logs-dir", Path.Combine(_root, "logs"),
            "--cert-name", name, .. domains.SelectMany(d => new[] { "-d", d }),
        ];
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["REQUESTS_CA_BUNDLE"] = bundle;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start certbot");
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    private static List<string> SanNames(X509Certificate2 certificate) =>
        [.. certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames())];
}
