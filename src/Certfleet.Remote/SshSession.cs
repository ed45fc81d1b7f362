using Microsoft.Extensions.Logging;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Certfleet.Remote;

/// <summary>An authenticated SSH connection to one host. Dispose it to disconnect.</summary>
public sealed partial class SshSession : IRemoteHost, IAsyncDisposable, IDisposable
{
    private readonly SshClient _client;
    private readonly SshClient? _bastion;
    private readonly Func<ConnectionInfo> _connectionInfo;
    private readonly byte[] _hostKey;
    private readonly TimeSpan _commandTimeout;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _sftpLock = new(1, 1);
    private SftpClient? _sftp;

    internal SshSession(SshHost host, SshClient client, SshClient? bastion, Func<ConnectionInfo> connectionInfo, byte[] hostKey, TimeSpan commandTimeout, ILogger logger)
    {
        Host = host;
        _client = client;
        _bastion = bastion;
        _connectionInfo = connectionInfo;
        _hostKey = hostKey;
        _commandTimeout = commandTimeout;
        _logger = logger;
    }

    public SshHost Host { get; }

    public string Name => Host.Name;

    /// <summary>
    /// Runs a command (through <c>sudo -n</c> when the host is configured so). A timeout is a result with
    /// <see cref="CommandResult.TimedOut"/> set, not an exception.
    /// </summary>
    public Task<CommandResult> RunAsync(RemoteCommand command, CancellationToken cancellationToken) => RunAsync(command, null, cancellationToken);

    /// <summary>
    /// Runs a command with <paramref name="input"/> as its standard input, on this session's connection. Secrets
    /// go this way rather than on a command line, which other users of the host could read in ps.
    /// </summary>
    public Task<CommandResult> RunAsync(RemoteCommand command, ReadOnlyMemory<byte> input, CancellationToken cancellationToken) =>
        RunAsync(command, (ReadOnlyMemory<byte>?)input, cancellationToken);

    private async Task<CommandResult> RunAsync(RemoteCommand command, ReadOnlyMemory<byte>? input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var line = command.ToCommandLine(Host.Sudo);
        LogRun(_logger, Host.Name, command.Arguments[0]);
        using var cmd = _client.CreateCommand(line);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(_commandTimeout);
        try
        {
            var execution = cmd.ExecuteAsync(cts.Token);
            if (input is { } data)
            {
                await WriteInputAsync(cmd, execution, data, cts.Token);
            }

            await execution;
            return new CommandResult(cmd.ExitStatus ?? -1, cmd.Result, cmd.Error);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new CommandResult(-1, "", $"ssh: '{command.Arguments[0]}' on {Host.Name} did not finish within {Configuration.DurationParser.Format(_commandTimeout)}", TimedOut: true);
        }
        catch (SshException e)
        {
            return new CommandResult(-1, "", $"ssh: '{command.Arguments[0]}' on {Host.Name} failed: {e.Message}");
        }
    }

    private static async Task WriteInputAsync(SshCommand cmd, Task execution, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        // ExecuteAsync opens the channel asynchronously, and the input stream exists only once it is open.
        Stream? stdin = null;
        while (stdin is null && !execution.IsCompleted)
        {
            try
            {
                stdin = cmd.CreateInputStream();
            }
            catch (InvalidOperationException)
            {
                await Task.WhenAny(execution, Task.Delay(TimeSpan.FromMilliseconds(2), cancellationToken));
            }
        }

        if (stdin is null)
        {
            return;
        }

        try
        {
            // Disposing the stream sends EOF, so the command sees the end of its input.
            await using (stdin)
            {
                await stdin.WriteAsync(data, cancellationToken);
            }
        }
        catch (Exception e) when (e is SshException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The command ended without reading all of it (it failed early): its exit status tells why.
        }
    }

    /// <summary>Reads a small file over SFTP; null when it does not exist. Files larger than <paramref name="maxBytes"/> are refused.</summary>
    public async Task<byte[]?> ReadFileAsync(string path, long maxBytes, CancellationToken cancellationToken)
    {
        var sftp = await SftpAsync(cancellationToken);
        if (!await sftp.ExistsAsync(path, cancellationToken))
        {
            return null;
        }

        var attributes = await sftp.GetAttributesAsync(path, cancellationToken);
        if (attributes.Size > maxBytes)
        {
            throw new IOException($"ssh: {Host.Name}:{path} is {attributes.Size} bytes, more than the {maxBytes} allowed");
        }

        using var stream = new MemoryStream();
        await sftp.DownloadFileAsync(path, stream, cancellationToken);
        return stream.ToArray();
    }

    /// <summary>
    /// Writes a small file over SFTP: to a temporary name with <paramref name="mode"/> first, then renamed over the target,
    /// so readers never see half a file and a key is never readable by others, even for a moment.
    /// </summary>
    public async Task WriteFileAsync(string path, ReadOnlyMemory<byte> content, UnixFileMode mode, CancellationToken cancellationToken)
    {
        var sftp = await SftpAsync(cancellationToken);
        var temp = $"{path}.certfleet-{Guid.NewGuid():N}";
        using (var stream = await sftp.OpenAsync(temp, FileMode.CreateNew, FileAccess.Write, cancellationToken))
        {
            var attributes = await sftp.GetAttributesAsync(temp, cancellationToken);
            // SSH.NET takes the mode written as octal digits (600 for rw-------).
            attributes.SetPermissions(short.Parse(Convert.ToString((int)mode & 0x1FF, 8), System.Globalization.CultureInfo.InvariantCulture));
            sftp.SetAttributes(temp, attributes);
            await stream.WriteAsync(content, cancellationToken);
        }

        sftp.RenameFile(temp, path, isPosix: true);
    }

    private async Task<SftpClient> SftpAsync(CancellationToken cancellationToken)
    {
        await _sftpLock.WaitAsync(cancellationToken);
        try
        {
            if (_sftp is { IsConnected: true })
            {
                return _sftp;
            }

            _sftp?.Dispose();
            var sftp = new SftpClient(_connectionInfo());

            // Same host, same key: anything else on the second connection is refused.
            sftp.HostKeyReceived += (_, e) => e.CanTrust = e.HostKey.AsSpan().SequenceEqual(_hostKey);
            await sftp.ConnectAsync(cancellationToken);
            _sftp = sftp;
            return sftp;
        }
        finally
        {
            _sftpLock.Release();
        }
    }

    public void Dispose()
    {
        _sftp?.Dispose();
        _client.Dispose();
        _bastion?.Dispose();
        _sftpLock.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "ssh: {Host}: running {Program}")]
    private static partial void LogRun(ILogger logger, string host, string program);
}
