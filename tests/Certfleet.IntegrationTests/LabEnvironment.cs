using System.Globalization;
using Certfleet.Lab;

namespace Certfleet.IntegrationTests;

/// <summary>
/// A real BIND authoritative for example.test and other.test, and a real Pebble that validates
/// DNS-01 by querying that BIND. Shared by the tests of one class.
/// </summary>
public sealed class PebbleBindFixture : IAsyncLifetime
{
    private readonly long? _certificateValiditySeconds;

    public PebbleBindFixture()
    {
    }

    /// <summary>A lab whose Pebble issues certificates valid for only <paramref name="certificateValiditySeconds"/> (renewal tests).</summary>
    internal PebbleBindFixture(long certificateValiditySeconds) => _certificateValiditySeconds = certificateValiditySeconds;

    public BindServer Bind { get; private set; } = null!;

    public PebbleServer Pebble { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Bind = await BindServer.StartAsync();
        Pebble = await PebbleServer.StartAsync(new PebbleOptions { DnsServer = Bind.Endpoint, NonceRejectPercent = 30, CertificateValidityPeriodSeconds = _certificateValiditySeconds });
    }

    public async ValueTask DisposeAsync()
    {
        await Pebble.DisposeAsync();
        await Bind.DisposeAsync();
    }
}

/// <summary>A temp directory with a certfleet.yaml for the lab, and helpers to run the CLI in it.</summary>
public sealed class LabWorkspace : IDisposable
{
    public LabWorkspace(PebbleBindFixture lab)
    {
        Lab = lab;
        Root = Directory.CreateTempSubdirectory("certfleet-it-").FullName;
        StateDir = Path.Combine(Root, "state");
        TlsBundle = Path.Combine(Root, "pebble-tls.pem");
        File.WriteAllText(TlsBundle, lab.Pebble.TlsRootPem);
        TsigSecretFile = Path.Combine(Root, "tsig.secret");
        File.WriteAllText(TsigSecretFile, lab.Bind.TsigSecretBase64 + "\n");
        File.SetUnixFileMode(TsigSecretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        ConfigPath = Path.Combine(Root, "certfleet.yaml");
    }

    public PebbleBindFixture Lab { get; }

    public string Root { get; }

    public string StateDir { get; }

    public string TlsBundle { get; }

    public string TsigSecretFile { get; }

    public string ConfigPath { get; }

    public string Config(string certificates, string? propagationNameserver = null, string tsigSecret = "", string timeout = "30s") =>
        string.Create(CultureInfo.InvariantCulture, $"""
            stateDir: {StateDir}
            acme:
              directory: {Lab.Pebble.DirectoryUri}
              email: ops@example.test
              caBundle: {TlsBundle}
            dns:
              propagation:
                timeout: {timeout}
                interval: 200ms
                nameservers: ["{propagationNameserver ?? Lab.Bind.Endpoint}"]
              providers:
                lab:
                  type: rfc2136
                  server: {Lab.Bind.Endpoint}
                  tsigKeyName: {Lab.Bind.TsigKeyName}
                  tsigAlgorithm: {Lab.Bind.TsigAlgorithm}
                  tsigSecret: {(tsigSecret.Length > 0 ? tsigSecret : "file:" + TsigSecretFile)}
            certificates:
            {certificates}
            """);

    public void WriteConfig(string yaml) => File.WriteAllText(ConfigPath, yaml);

    public Task<CliRun> RunAsync(params string[] args) => CliRun.InProcessAsync(["--config", ConfigPath, .. args]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
