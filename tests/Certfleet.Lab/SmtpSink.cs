using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Certfleet.Lab;

/// <summary>Debian's aiosmtpd on a free loopback port; it prints each message it receives on its stdout.</summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SmtpSink(Process process, int port)
    {
        _process = process;
        Port = port;
        _process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The loopback port the sink accepts SMTP on.</summary>
    public int Port { get; }

    /// <summary>Everything aiosmtpd printed so far (the received messages and its diagnostics).</summary>
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

    /// <summary>Starts aiosmtpd and returns once it accepts connections.</summary>
    public static async Task<SmtpSink> StartAsync(CancellationToken cancellationToken)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-u", "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}" })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["PYTHONUNBUFFERED"] = "1";
        var sink = new SmtpSink(Process.Start(info)!, port);
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return sink;
            }
            catch (SocketException)
            {
                await Task.Delay(100, cancellationToken);
            }
        }

        await sink.DisposeAsync();
        throw new InvalidOperationException("aiosmtpd did not start: " + sink.Output);
    }

    /// <summary>Waits up to ten seconds for <paramref name="text"/> to appear, then returns the output either way.</summary>
    public async Task<string> WaitForAsync(string text, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 100 && !Output.Contains(text, StringComparison.Ordinal); i++)
        {
            await Task.Delay(100, cancellationToken);
        }

        return Output;
    }

    /// <summary>A loopback TCP port that was free a moment ago (nothing listens on it once this returns).</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
