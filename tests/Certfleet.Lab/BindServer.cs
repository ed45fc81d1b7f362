using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using DnsClient;
using DnsClient.Protocol;

namespace Certfleet.Lab;

/// <summary>What a <see cref="BindServer"/> serves.</summary>
public sealed record BindServerOptions
{
    /// <summary>The zones the server is authoritative for.</summary>
    public IReadOnlyList<string> Zones { get; init; } = ["example.test", "other.test"];

    /// <summary>Zones the limited key may update (the main key may update every zone).</summary>
    public IReadOnlyList<string> LimitedKeyZones { get; init; } = ["other.test"];

    /// <summary>TTL of every record in the zone files, and of records added out of band.</summary>
    public int Ttl { get; init; } = 60;
}

/// <summary>
/// A real BIND (<c>/usr/sbin/named</c>) on 127.0.0.1 and a free port (UDP and TCP), authoritative and
/// non-recursive for its zones, updatable with a TSIG key. Each instance has its own port and folder,
/// so several can run at once. Also usable as Pebble's <c>-dnsserver</c>.
/// </summary>
public sealed class BindServer : IAsyncDisposable
{
    private const string NamedPath = "/usr/sbin/named";
    private const string NsupdatePath = "/usr/bin/nsupdate";
    private readonly Process _process;
    private readonly StringBuilder _output;
    private readonly LookupClient _client;
    private bool _disposed;

    private BindServer(Process process, StringBuilder output, string directory, int port, BindServerOptions options, string secret, string limitedSecret)
    {
        _process = process;
        _output = output;
        Directory = directory;
        Port = port;
        Zones = options.Zones;
        LimitedKeyZones = options.LimitedKeyZones;
        Ttl = options.Ttl;
        TsigSecretBase64 = secret;
        LimitedTsigSecretBase64 = limitedSecret;
        _client = CreateClient(port);
    }

    /// <summary>The UDP and TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary><c>127.0.0.1:PORT</c>, as certfleet's configuration and Pebble's <c>-dnsserver</c> take it.</summary>
    public string Endpoint => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public IPEndPoint IPEndPoint => new(IPAddress.Loopback, Port);

    /// <summary>The folder with named.conf, the zone files, journals and the log.</summary>
    public string Directory { get; }

    public IReadOnlyList<string> Zones { get; }

    public IReadOnlyList<string> LimitedKeyZones { get; }

    public int Ttl { get; }

    /// <summary>A key that may update every zone.</summary>
    public string TsigKeyName => "certfleet-test";

    public string TsigSecretBase64 { get; }

    /// <summary>The TSIG algorithm of both keys, as BIND and certfleet's configuration spell it.</summary>
    public string TsigAlgorithm => "hmac-sha256";

    /// <summary>A key that may update only <see cref="LimitedKeyZones"/>: for "no rights" tests.</summary>
    public string LimitedTsigKeyName => "certfleet-limited";

    public string LimitedTsigSecretBase64 { get; }

    /// <summary>Starts a server and returns once it answers SOA queries for every zone.</summary>
    public static async Task<BindServer> StartAsync(BindServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new BindServerOptions();
        Exception? last = null;

        // Another process may take the port between probing and named's bind: try a few ports.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var directory = System.IO.Directory.CreateTempSubdirectory("certfleet-bind-").FullName;
            try
            {
                return await StartOnceAsync(directory, FreePort(), options, cancellationToken);
            }
            catch (BindStartException e)
            {
                last = e;
                TryDelete(directory);
            }
            catch
            {
                TryDelete(directory);
                throw;
            }
        }

        throw new InvalidOperationException("bind: could not start named after 5 attempts", last);
    }

    /// <summary>The TXT values at <paramref name="name"/>, asked directly (no recursion); empty when none.</summary>
    public async Task<IReadOnlyList<string>> QueryTxtAsync(string name, CancellationToken cancellationToken = default)
    {
        var response = await _client.QueryAsync(name, QueryType.TXT, QueryClass.IN, cancellationToken);
        return response.Answers.TxtRecords().Select(r => string.Concat(r.Text)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The SOA serial of <paramref name="zone"/>, e.g. to see that an update reached the zone.</summary>
    public async Task<uint> QuerySoaSerialAsync(string zone, CancellationToken cancellationToken = default)
    {
        var response = await _client.QueryAsync(zone, QueryType.SOA, QueryClass.IN, cancellationToken);
        return response.Answers.SoaRecords().Single().Serial;
    }

    /// <summary>Adds a TXT value out of band (nsupdate with the main key).</summary>
    public Task AddTxtAsync(string name, string value, CancellationToken cancellationToken = default) =>
        NsupdateAsync($"update add {name.TrimEnd('.')}. {Ttl.ToString(CultureInfo.InvariantCulture)} TXT \"{value}\"", cancellationToken);

    /// <summary>Removes one TXT value out of band.</summary>
    public Task RemoveTxtAsync(string name, string value, CancellationToken cancellationToken = default) =>
        NsupdateAsync($"update delete {name.TrimEnd('.')}. TXT \"{value}\"", cancellationToken);

    /// <summary>Removes every TXT value at a name out of band.</summary>
    public Task RemoveAllTxtAsync(string name, CancellationToken cancellationToken = default) =>
        NsupdateAsync($"update delete {name.TrimEnd('.')}. TXT", cancellationToken);

    /// <summary>named's log and console output, for failure messages.</summary>
    public string ReadLog()
    {
        var log = Path.Combine(Directory, "named.log");
        string console;
        lock (_output)
        {
            console = _output.ToString();
        }

        return (File.Exists(log) ? File.ReadAllText(log) : "") + console;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await StopAsync(_process);
        _process.Dispose();
        TryDelete(Directory);
    }

    private async Task NsupdateAsync(string command, CancellationToken cancellationToken)
    {
        // The key goes in a file, never on the command line (-y would show it in ps).
        var script = $"server 127.0.0.1 {Port.ToString(CultureInfo.InvariantCulture)}\n{command}\nsend\n";
        var psi = new ProcessStartInfo(NsupdatePath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-k");
        psi.ArgumentList.Add(Path.Combine(Directory, "update.key"));
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("bind: cannot start nsupdate");
        await process.StandardInput.WriteAsync(script);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"bind: nsupdate '{command}' failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }

    private static async Task<BindServer> StartOnceAsync(string directory, int port, BindServerOptions options, CancellationToken cancellationToken)
    {
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var limitedSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        WriteConfiguration(directory, port, options, secret, limitedSecret);

        var psi = new ProcessStartInfo(NamedPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };

        // -f: foreground with the logging of named.conf; -n 1: one worker is plenty and starts faster.
        foreach (var arg in new[] { "-f", "-n", "1", "-c", Path.Combine(directory, "named.conf") })
        {
            psi.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new BindServer(process, output, directory, port, options, secret, limitedSecret);
        try
        {
            await server.WaitUntilReadyAsync(cancellationToken);
            return server;
        }
        catch
        {
            await StopAsync(process);
            process.Dispose();
            throw;
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        var probe = CreateClient(Port, TimeSpan.FromMilliseconds(200));
        foreach (var zone in Zones)
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_process.HasExited)
                {
                    throw new BindStartException($"bind: named exited with {_process.ExitCode}:\n{ReadLog()}");
                }

                if (deadline.Elapsed > TimeSpan.FromSeconds(15))
                {
                    throw new BindStartException($"bind: named did not answer SOA {zone} on port {Port} within 15 s:\n{ReadLog()}");
                }

                try
                {
                    var response = await probe.QueryAsync(zone, QueryType.SOA, QueryClass.IN, cancellationToken);
                    if (response.Answers.SoaRecords().Any())
                    {
                        break;
                    }
                }
                catch (DnsResponseException)
                {
                    // Not listening yet.
                }

                await Task.Delay(20, cancellationToken);
            }
        }
    }

    private static void WriteConfiguration(string directory, int port, BindServerOptions options, string secret, string limitedSecret)
    {
        var p = port.ToString(CultureInfo.InvariantCulture);
        var conf = new StringBuilder();
        conf.Append(CultureInfo.InvariantCulture, $$"""
            options {
              directory "{{directory}}";
              pid-file "{{directory}}/named.pid";
              session-keyfile "{{directory}}/session.key";
              managed-keys-directory "{{directory}}";
              listen-on port {{p}} { 127.0.0.1; };
              listen-on-v6 { none; };
              recursion no;
              notify no;
              dnssec-validation no;
              allow-query { any; };
              allow-transfer { none; };
            };
            controls { };
            key "certfleet-test" { algorithm hmac-sha256; secret "{{secret}}"; };
            key "certfleet-limited" { algorithm hmac-sha256; secret "{{limitedSecret}}"; };
            logging {
              channel file { file "{{directory}}/named.log"; severity info; print-time yes; print-category yes; };
              category default { file; };
              category update { file; };
              category update-security { file; };
              category lame-servers { null; };
            };

            """);

        foreach (var zone in options.Zones)
        {
            var limited = options.LimitedKeyZones.Contains(zone, StringComparer.OrdinalIgnoreCase)
                ? " grant certfleet-limited zonesub ANY;"
                : "";
            conf.Append(CultureInfo.InvariantCulture, $$"""
                zone "{{zone}}" {
                  type primary;
                  file "{{directory}}/{{zone}}.zone";
                  journal "{{directory}}/{{zone}}.zone.jnl";
                  update-policy { grant certfleet-test zonesub ANY;{{limited}} };
                };

                """);
            var ttl = options.Ttl.ToString(CultureInfo.InvariantCulture);
            File.WriteAllText(Path.Combine(directory, zone + ".zone"), $"""
                $TTL {ttl}
                @ IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 {ttl}
                @ IN NS ns.{zone}.
                ns IN A 127.0.0.1

                """);
        }

        File.WriteAllText(Path.Combine(directory, "named.conf"), conf.ToString());
        var keyFile = Path.Combine(directory, "update.key");
        File.WriteAllText(keyFile, $"key \"certfleet-test\" {{ algorithm hmac-sha256; secret \"{secret}\"; }};\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static LookupClient CreateClient(int port, TimeSpan? timeout = null) =>
        new(new LookupClientOptions(new NameServer(IPAddress.Loopback, port))
        {
            Recursion = false,
            UseCache = false,
            UseTcpFallback = true,
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
            Retries = 0,
            Timeout = timeout ?? TimeSpan.FromSeconds(2),
        });

    /// <summary>A port free for both TCP and UDP on 127.0.0.1 at the time of asking.</summary>
    private static int FreePort()
    {
        for (var i = 0; i < 20; i++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            try
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // UDP side taken: try another.
            }
        }

        throw new InvalidOperationException("bind: no free port for TCP and UDP on 127.0.0.1");
    }

    private static async Task StopAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            // Already gone, or not stopping: nothing more to do here.
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed class BindStartException(string message) : Exception(message);
}
