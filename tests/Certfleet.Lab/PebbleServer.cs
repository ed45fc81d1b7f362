using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Certfleet.Lab;

/// <summary>Settings for one Pebble instance.</summary>
public sealed record PebbleOptions
{
    /// <summary>PEBBLE_WFE_NONCEREJECT: percentage of nonces rejected with badNonce.</summary>
    public int NonceRejectPercent { get; init; } = 30;
    /// <summary>PEBBLE_VA_ALWAYS_VALID=1: every challenge validates without DNS.</summary>
    public bool AlwaysValid { get; init; }
    /// <summary>certificateValidityPeriod in seconds (Pebble's default is 5 years).</summary>
    public long? CertificateValidityPeriodSeconds { get; init; }
    /// <summary>-dnsserver host:port for DNS-01 validation.</summary>
    public string? DnsServer { get; init; }
    /// <summary>externalAccountBindingRequired plus these key ids and base64url MAC keys.</summary>
    public IReadOnlyDictionary<string, string>? ExternalAccountMacKeys { get; init; }
    /// <summary>PEBBLE_ALTERNATE_ROOTS: extra root hierarchies, offered as Link rel="alternate" chains.</summary>
    public int? AlternateRoots { get; init; }
    /// <summary>PEBBLE_AUTHZREUSE: percentage of valid authorizations reused (Pebble's default is 50).</summary>
    public int? AuthzReusePercent { get; init; }
}

/// <summary>
/// A Pebble ACME test server on loopback with its own TLS root, config and ports; killed and cleaned up on dispose.
/// </summary>
public sealed class PebbleServer : IAsyncDisposable
{
    private const string PebblePath = "/usr/bin/pebble";
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output;
    private readonly X509Certificate2 _tlsRoot;

    private PebbleServer(Process process, string directory, StringBuilder output, X509Certificate2 tlsRoot, int port, int managementPort)
    {
        _process = process;
        _directory = directory;
        _output = output;
        _tlsRoot = tlsRoot;
        DirectoryUri = new Uri($"https://127.0.0.1:{port}/dir");
        ManagementUri = new Uri($"https://127.0.0.1:{managementPort}/");
        TlsRootPem = tlsRoot.ExportCertificatePem();
    }

    /// <summary>The ACME directory URL.</summary>
    public Uri DirectoryUri { get; }

    /// <summary>The management API base URL (/roots/0, /intermediates/0, /cert-status-by-serial/HEX).</summary>
    public Uri ManagementUri { get; }

    /// <summary>PEM of the root that signed Pebble's TLS listener certificate.</summary>
    public string TlsRootPem { get; }

    /// <summary>What Pebble printed so far (stdout and stderr).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>True when Pebble is installed at /usr/bin/pebble.</summary>
    public static bool IsInstalled => File.Exists(PebblePath);

    /// <summary>Starts Pebble and waits until its directory answers.</summary>
    public static async Task<PebbleServer> StartAsync(PebbleOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PebbleOptions();
        if (!IsInstalled)
        {
            throw new InvalidOperationException($"lab: {PebblePath} is missing; run scripts/prereqs.sh (apt-get install pebble)");
        }

        Exception? last = null;
        // A port picked free can be taken before Pebble binds it; a fresh set of ports fixes that.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                return await StartOnceAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch (PebbleStartException ex)
            {
                last = ex;
            }
        }

        throw new InvalidOperationException("lab: pebble did not start", last);
    }

    /// <summary>A handler that trusts only Pebble's TLS root.</summary>
    public SocketsHttpHandler CreateHandler() => CreateTrustingHandler(_tlsRoot);

    /// <summary>An HttpClient that trusts Pebble's TLS root.</summary>
    public HttpClient CreateHttpClient() => new(CreateHandler(), disposeHandler: true) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The PEM of CA root <paramref name="index"/> from the management API (roots change at every start).</summary>
    public async Task<string> GetRootPemAsync(int index = 0, CancellationToken cancellationToken = default)
    {
        using var http = CreateHttpClient();
        return await http.GetStringAsync(new Uri(ManagementUri, $"roots/{index}"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The PEM of intermediate <paramref name="index"/> from the management API.</summary>
    public async Task<string> GetIntermediatePemAsync(int index = 0, CancellationToken cancellationToken = default)
    {
        using var http = CreateHttpClient();
        return await http.GetStringAsync(new Uri(ManagementUri, $"intermediates/{index}"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The management API's JSON status of a certificate ("Status": "Valid" or "Revoked"), by hex serial.</summary>
    public async Task<string> GetCertificateStatusAsync(string serialHex, CancellationToken cancellationToken = default)
    {
        using var http = CreateHttpClient();
        return await http.GetStringAsync(new Uri(ManagementUri, $"cert-status-by-serial/{serialHex}"), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            // Already gone or not stoppable: nothing more to do here.
        }

        _process.Dispose();
        _tlsRoot.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task<PebbleServer> StartOnceAsync(PebbleOptions options, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("certfleet-pebble-").FullName;
        var (root, leafPem, keyPem) = CreateTlsCertificates();
        var certPath = Path.Combine(dir, "cert.pem");
        var keyPath = Path.Combine(dir, "key.pem");
        await File.WriteAllTextAsync(certPath, leafPem, cancellationToken).ConfigureAwait(false);
        File.Create(keyPath).Dispose();
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await File.WriteAllTextAsync(keyPath, keyPem, cancellationToken).ConfigureAwait(false);

        var ports = FreePorts(4);
        var configPath = Path.Combine(dir, "pebble-config.json");
        await File.WriteAllTextAsync(configPath, BuildConfig(options, ports, certPath, keyPath), cancellationToken).ConfigureAwait(false);

        var psi = new ProcessStartInfo(PebblePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        psi.ArgumentList.Add("-config");
        psi.ArgumentList.Add(configPath);
        if (options.DnsServer is { } dns)
        {
            psi.ArgumentList.Add("-dnsserver");
            psi.ArgumentList.Add(dns);
        }

        psi.Environment["PEBBLE_VA_NOSLEEP"] = "1";
        psi.Environment["PEBBLE_WFE_NONCEREJECT"] = options.NonceRejectPercent.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (options.AlwaysValid)
        {
            psi.Environment["PEBBLE_VA_ALWAYS_VALID"] = "1";
        }

        if (options.AlternateRoots is { } alt)
        {
            psi.Environment["PEBBLE_ALTERNATE_ROOTS"] = alt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (options.AuthzReusePercent is { } reuse)
        {
            psi.Environment["PEBBLE_AUTHZREUSE"] = reuse.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var output = new StringBuilder();
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        void Capture(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        }

        process.OutputDataReceived += Capture;
        process.ErrorDataReceived += Capture;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PebbleServer(process, dir, output, root, ports[0], ports[1]);
        try
        {
            await server.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient(CreateHandler()) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (_process.HasExited)
            {
                throw new PebbleStartException($"lab: pebble exited with {_process.ExitCode}: {Output}");
            }

            try
            {
                using var response = await http.GetAsync(DirectoryUri, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        throw new PebbleStartException($"lab: pebble did not answer {DirectoryUri} within 15 s: {Output}");
    }

    private static string BuildConfig(PebbleOptions options, int[] ports, string certPath, string keyPath)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartObject("pebble");
            w.WriteString("listenAddress", $"127.0.0.1:{ports[0]}");
            w.WriteString("managementListenAddress", $"127.0.0.1:{ports[1]}");
            w.WriteString("certificate", certPath);
            w.WriteString("privateKey", keyPath);
            w.WriteNumber("httpPort", ports[2]);
            w.WriteNumber("tlsPort", ports[3]);
            w.WriteString("ocspResponderURL", "");
            w.WriteBoolean("externalAccountBindingRequired", options.ExternalAccountMacKeys is { Count: > 0 });
            if (options.ExternalAccountMacKeys is { Count: > 0 } keys)
            {
                w.WriteStartObject("externalAccountMACKeys");
                foreach (var (kid, mac) in keys)
                {
                    w.WriteString(kid, mac);
                }

                w.WriteEndObject();
            }

            if (options.CertificateValidityPeriodSeconds is { } validity)
            {
                w.WriteNumber("certificateValidityPeriod", validity);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var l = new TcpListener(IPAddress.Loopback, 0);
                l.Start();
                listeners.Add(l);
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var l in listeners)
            {
                l.Stop();
            }
        }
    }

    private static (X509Certificate2 Root, string LeafPem, string KeyPem) CreateTlsCertificates()
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=certfleet lab Pebble TLS root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        using var rootWithKey = rootRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(2));

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=localhost", leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        leafRequest.CertificateExtensions.Add(san.Build());
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(rootWithKey, true, false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using var leaf = leafRequest.Create(rootWithKey, now.AddMinutes(-5), now.AddDays(1), serial);
        var root = X509CertificateLoader.LoadCertificate(rootWithKey.RawData);
        return (root, leaf.ExportCertificatePem(), leafKey.ExportPkcs8PrivateKeyPem());
    }

    private static SocketsHttpHandler CreateTrustingHandler(X509Certificate2 root)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(root);
        return new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy } };
    }

    private sealed class PebbleStartException(string message) : Exception(message);
}
