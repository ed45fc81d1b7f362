using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using DnsClient;

namespace Certfleet.Dns.Ovh.Tests;

/// <summary>A private BIND (named) on a free loopback port, with zones updatable through a TSIG key file.</summary>
internal sealed class TestBind : IAsyncDisposable
{
    private readonly Process _process;

    private TestBind(Process process, string directory, int port, string keyFile)
    {
        _process = process;
        Directory = directory;
        Port = port;
        KeyFile = keyFile;
    }

    public string Directory { get; }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>A BIND key file for <c>nsupdate -k</c> (0600).</summary>
    public string KeyFile { get; }

    public static async Task<TestBind> StartAsync(params string[] zones)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("ovh-bind-").FullName;
        var port = FreePort();
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var key = $"key \"ovh-sim\" {{ algorithm hmac-sha256; secret \"{secret}\"; }};\n";
        var keyFile = Path.Combine(dir, "ovh-sim.key");
        await File.WriteAllTextAsync(keyFile, key);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var conf = key + $$"""
            options {
              directory "{{dir}}";
              listen-on port {{port}} { 127.0.0.1; };
              listen-on-v6 { none; };
              pid-file "{{dir}}/named.pid";
              recursion no;
              notify no;
              dnssec-validation no;
              allow-query { any; };
            };
            controls { };
            """;
        foreach (var zone in zones)
        {
            await File.WriteAllTextAsync(Path.Combine(dir, zone + ".db"), $"""
                $TTL 60
                @ IN SOA ns1.{zone}. hostmaster.{zone}. 1 60 60 600 60
                @ IN NS ns1.{zone}.
                ns1 IN A 127.0.0.1

                """);
            conf += $"\nzone \"{zone}\" {{ type primary; file \"{dir}/{zone}.db\"; allow-update {{ key \"ovh-sim\"; }}; }};\n";
        }

        var confFile = Path.Combine(dir, "named.conf");
        await File.WriteAllTextAsync(confFile, conf);
        var psi = new ProcessStartInfo("/usr/sbin/named") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-g", "-c", confFile })
        {
            psi.ArgumentList.Add(a);
        }

        if (Environment.UserName == "root")
        {
            psi.ArgumentList.Add("-u");
            psi.ArgumentList.Add("root");
        }

        var process = Process.Start(psi)!;
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var bind = new TestBind(process, dir, port, keyFile);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                var soa = await bind.Client.QueryAsync(zones[0], QueryType.SOA);
                if (!soa.HasError && soa.Answers.Count > 0)
                {
                    return bind;
                }
            }
            catch (DnsResponseException)
            {
            }

            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await bind.DisposeAsync();
                throw new InvalidOperationException($"named did not start on port {port}");
            }

            await Task.Delay(100);
        }
    }

    private LookupClient Client => new(new LookupClientOptions(new NameServer(IPAddress.Loopback, Port))
    {
        UseCache = false,
        Timeout = TimeSpan.FromSeconds(1),
        Retries = 1,
        UseTcpFallback = true,
    });

    public async Task<IReadOnlyList<string>> TxtAsync(string name)
    {
        var answer = await Client.QueryAsync(name, QueryType.TXT);
        return answer.Answers.TxtRecords().Select(t => string.Concat(t.Text)).ToList();
    }

    private static int FreePort()
    {
        for (var i = 0; i < 20; i++)
        {
            using var tcp = new TcpListener(IPAddress.Loopback, 0);
            tcp.Start();
            var port = ((IPEndPoint)tcp.LocalEndpoint).Port;
            tcp.Stop();
            try
            {
                using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException("no free port");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, true);
        }
        catch (IOException)
        {
        }
    }
}
