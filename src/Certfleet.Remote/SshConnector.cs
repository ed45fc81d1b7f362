using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Certfleet.Remote;

/// <summary>Why a host could not be used; reported per host, never thrown.</summary>
public enum HostFailureKind
{
    Unreachable,
    HostKeyUnknown,
    HostKeyChanged,
    HostKeyRevoked,
    AuthenticationFailed,
    Error,
}

/// <summary>A host that could not be reached or trusted, with what to do about it.</summary>
public sealed record HostFailure(HostFailureKind Kind, string Message, string Fix, string? PresentedFingerprint = null);

/// <summary>A host on which commands can be run; implemented by <see cref="SshSession"/> and by test doubles.</summary>
public interface IRemoteHost
{
    string Name { get; }

    Task<CommandResult> RunAsync(RemoteCommand command, CancellationToken cancellationToken);
}

/// <summary>Outcome of <see cref="SshConnector.ConnectAsync"/>: a session or a failure.</summary>
public sealed record ConnectResult(SshSession? Session, HostFailure? Failure);

/// <summary>The key a host presents, fetched for <c>certfleet hosts trust</c>.</summary>
public sealed record HostKeyProbe(string Address, int Port, string KeyType, byte[] Key, string Fingerprint, HostKeyCheck Current);

/// <summary>Opens SSH sessions with strict host-key checking against the fleet's known_hosts file.</summary>
public sealed partial class SshConnector
{
    private readonly SshSettings _settings;
    private readonly ILogger _logger;

    public SshConnector(SshSettings settings, ILogger<SshConnector>? logger = null)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public SshSettings Settings => _settings;

    /// <summary>Connects and authenticates. Every expected failure comes back in <see cref="ConnectResult.Failure"/>.</summary>
    public async Task<ConnectResult> ConnectAsync(SshHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var knownHosts = KnownHosts.Load(_settings.KnownHostsFile);
        SshClient? bastion = null;
        try
        {
            var (endpointHost, endpointPort, tunnelFailure) = await OpenTunnelAsync(host, knownHosts, b => bastion = b, cancellationToken);
            if (tunnelFailure is not null)
            {
                return new ConnectResult(null, tunnelFailure);
            }

            var auth = Authentication(host, out var keyFailure);
            if (keyFailure is not null)
            {
                return new ConnectResult(null, keyFailure);
            }

            var info = new ConnectionInfo(endpointHost, endpointPort, host.User, auth) { Timeout = _settings.EffectiveConnectTimeout };
            var client = new SshClient(info);
            var checker = new KeyChecker(knownHosts, host.Address, host.Port);
            client.HostKeyReceived += checker.OnHostKey;
            var failure = await ConnectClientAsync(client, host, checker, host.Name, cancellationToken);
            if (failure is not null)
            {
                client.Dispose();
                return new ConnectResult(null, failure);
            }

            LogConnected(_logger, host.Name, host.Address, host.Port);
            var session = new SshSession(host, client, bastion, () => new ConnectionInfo(endpointHost, endpointPort, host.User, auth) { Timeout = _settings.EffectiveConnectTimeout },
                checker.Accepted!, _settings.EffectiveCommandTimeout, _logger);
            bastion = null;
            return new ConnectResult(session, null);
        }
        finally
        {
            bastion?.Dispose();
        }
    }

    /// <summary>Fetches the key the host presents without trusting it, so that its fingerprint can be shown.</summary>
    public async Task<(HostKeyProbe? Probe, HostFailure? Failure)> FetchHostKeyAsync(SshHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var knownHosts = KnownHosts.Load(_settings.KnownHostsFile);
        SshClient? bastion = null;
        try
        {
            var (endpointHost, endpointPort, tunnelFailure) = await OpenTunnelAsync(host, knownHosts, b => bastion = b, cancellationToken);
            if (tunnelFailure is not null)
            {
                return (null, tunnelFailure);
            }

            byte[]? presented = null;
            var info = new ConnectionInfo(endpointHost, endpointPort, host.User, new NoneAuthenticationMethod(host.User)) { Timeout = _settings.EffectiveConnectTimeout };
            using var client = new SshClient(info);
            client.HostKeyReceived += (_, e) =>
            {
                presented = e.HostKey;
                e.CanTrust = false;
            };
            try
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                cts.CancelAfter(_settings.EffectiveConnectTimeout);
                await client.ConnectAsync(cts.Token);
            }
            catch (Exception e) when (presented is not null && e is SshException or SocketException or OperationCanceledException)
            {
                // Refusing the key ends the handshake; the key is what was wanted.
            }
            catch (Exception e) when (e is SshException or SocketException or OperationCanceledException or ProxyException)
            {
                cancellationToken.ThrowIfCancellationRequested();
                return (null, Unreachable(host, e));
            }

            if (presented is null)
            {
                return (null, new HostFailure(HostFailureKind.Error, $"ssh: {host.Name} presented no host key", "check that the port is an SSH server"));
            }

            return (new HostKeyProbe(host.Address, host.Port, KnownHosts.KeyTypeOf(presented), presented, KnownHosts.Fingerprint(presented),
                knownHosts.Check(host.Address, host.Port, presented)), null);
        }
        finally
        {
            bastion?.Dispose();
        }
    }

    /// <summary>Records a fetched key in the known_hosts file, replacing earlier lines for that host only.</summary>
    public void Trust(HostKeyProbe probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        KnownHosts.Record(_settings.KnownHostsFile, probe.Address, probe.Port, probe.Key);
        LogTrusted(_logger, probe.Address, probe.Port, probe.Fingerprint);
    }

    /// <summary>
    /// Runs <paramref name="work"/> for every host with at most <see cref="SshSettings.Parallelism"/> at a time;
    /// results come back in the order of <paramref name="hosts"/>.
    /// </summary>
    public async Task<IReadOnlyList<T>> ForEachHostAsync<T>(IReadOnlyList<SshHost> hosts, Func<SshHost, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        ArgumentNullException.ThrowIfNull(work);
        var results = new T[hosts.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, hosts.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _settings.Parallelism), CancellationToken = cancellationToken },
            async (i, ct) => results[i] = await work(hosts[i], ct));
        return results;
    }

    private async Task<(string Host, int Port, HostFailure? Failure)> OpenTunnelAsync(SshHost host, KnownHosts knownHosts, Action<SshClient> keep, CancellationToken cancellationToken)
    {
        if (_settings.JumpHost is not { } jumpText)
        {
            return (host.Address, host.Port, null);
        }

        var jump = JumpHostSpec.TryParse(jumpText);
        if (jump is null)
        {
            return ("", 0, new HostFailure(HostFailureKind.Error, $"ssh: jump host '{jumpText}' is not [user@]host[:port]", "fix ssh.jumpHost"));
        }

        var bastionHost = new SshHost("jump host " + jump.Address, jump.Address, jump.Port, jump.User ?? host.User, host.IdentityFile);
        var auth = Authentication(bastionHost, out var keyFailure);
        if (keyFailure is not null)
        {
            return ("", 0, keyFailure);
        }

        var bastion = new SshClient(new ConnectionInfo(jump.Address, jump.Port, bastionHost.User, auth) { Timeout = _settings.EffectiveConnectTimeout });
        var checker = new KeyChecker(knownHosts, jump.Address, jump.Port);
        bastion.HostKeyReceived += checker.OnHostKey;
        var failure = await ConnectClientAsync(bastion, bastionHost, checker, jump.Address, cancellationToken);
        if (failure is not null)
        {
            bastion.Dispose();
            return ("", 0, failure with { Message = $"{failure.Message} (jump host for {host.Name})" });
        }

        keep(bastion);

        // A local forward bound to loopback only; the target's own key is still checked end to end.
        var forward = new ForwardedPortLocal("127.0.0.1", 0, host.Address, (uint)host.Port);
        bastion.AddForwardedPort(forward);
        forward.Start();
        return ("127.0.0.1", (int)forward.BoundPort, null);
    }

    private async Task<HostFailure?> ConnectClientAsync(SshClient client, SshHost host, KeyChecker checker, string trustName, CancellationToken cancellationToken)
    {
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(_settings.EffectiveConnectTimeout);
            await client.ConnectAsync(cts.Token);
            return null;
        }
        catch (Exception e) when (checker.Refused is not null)
        {
            _ = e;
            return HostKeyFailure(host, trustName, checker);
        }
        catch (SshAuthenticationException)
        {
            return new HostFailure(HostFailureKind.AuthenticationFailed,
                $"ssh: {host.Name} ({host.Address}:{host.Port}) refused to log in {host.User} with {host.IdentityFile ?? "the default keys"}",
                $"add the public key of {host.IdentityFile ?? "~/.ssh/id_ed25519"} to ~{host.User}/.ssh/authorized_keys on the host, or set hosts.{host.Name}.user and identityFile");
        }
        catch (Exception e) when (e is SshException or SocketException or OperationCanceledException or ProxyException or IOException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Unreachable(host, e);
        }
    }

    private HostFailure HostKeyFailure(SshHost host, string trustName, KeyChecker checker)
    {
        var presented = checker.Presented!;
        var fp = KnownHosts.Fingerprint(presented);
        var type = KnownHosts.KeyTypeOf(presented);
        var where = KnownHosts.HostName(checker.Address, checker.Port);
        var check = checker.Refused!;
        return check.Status switch
        {
            HostKeyStatus.Unknown => new HostFailure(HostFailureKind.HostKeyUnknown,
                $"ssh: host key of {host.Name} ({where}) is not in {_settings.KnownHostsFile}: it presented {type} {fp}",
                $"compare {fp} with 'ssh-keygen -lf /etc/ssh/ssh_host_{ShortType(type)}_key.pub' run on the host, then run 'certfleet hosts trust {trustName}'", fp),
            HostKeyStatus.Revoked => new HostFailure(HostFailureKind.HostKeyRevoked,
                $"ssh: {host.Name} ({where}) presented {type} {fp}, which line {check.Recorded!.Line} of {_settings.KnownHostsFile} marks @revoked",
                "give the host a new host key; certfleet will not connect with a revoked one", fp),
            _ => new HostFailure(HostFailureKind.HostKeyChanged,
                $"ssh: HOST KEY CHANGED for {host.Name} ({where}): it presented {type} {fp}, but line {check.Recorded!.Line} of {_settings.KnownHostsFile} records {check.Recorded.KeyType} {check.Recorded.Fingerprint}",
                $"someone may be intercepting the connection; if the host was reinstalled or its key rotated on purpose, verify {fp} on the host and run 'certfleet hosts trust {trustName}' to replace the old entry", fp),
        };
    }

    private static string ShortType(string type) => type switch
    {
        "ssh-ed25519" => "ed25519",
        "ssh-rsa" => "rsa",
        _ when type.StartsWith("ecdsa", StringComparison.Ordinal) => "ecdsa",
        _ => "*",
    };

    private HostFailure Unreachable(SshHost host, Exception e)
    {
        var reason = e switch
        {
            SocketException s => s.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostNotFound or SocketError.NoData => "name not found",
                SocketError.TimedOut => "timed out",
                SocketError.HostUnreachable or SocketError.NetworkUnreachable => "no route to host",
                _ => s.SocketErrorCode.ToString(),
            },
            OperationCanceledException or SshOperationTimeoutException => $"no answer within {Configuration.DurationParser.Format(_settings.EffectiveConnectTimeout)}",
            _ => e.InnerException is SocketException inner ? inner.SocketErrorCode.ToString() : e.Message,
        };
        LogUnreachable(_logger, host.Name, host.Address, host.Port, reason);
        return new HostFailure(HostFailureKind.Unreachable,
            $"ssh: {host.Name} ({host.Address}:{host.Port}) is unreachable: {reason}",
            $"check that the host is up, that sshd listens on port {host.Port} and that a firewall lets this machine in; or fix hosts.{host.Name}.address/port");
    }

    private static AuthenticationMethod[] Authentication(SshHost host, out HostFailure? failure)
    {
        failure = null;
        var files = host.IdentityFile is { } f
            ? [f]
            : new[] { "id_ed25519", "id_ecdsa", "id_rsa" }
                .Select(n => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", n))
                .Where(File.Exists).ToArray();
        var keys = new List<IPrivateKeySource>();
        foreach (var file in files)
        {
            try
            {
                keys.Add(new PrivateKeyFile(file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or SshException or ArgumentException or InvalidOperationException or NotSupportedException)
            {
                failure = new HostFailure(HostFailureKind.Error,
                    $"ssh: cannot use identity file {file} for {host.Name} ({(e is FileNotFoundException or DirectoryNotFoundException ? "not found" : e is UnauthorizedAccessException ? "permission denied" : "not an unencrypted OpenSSH private key")})",
                    "point identityFile at an unencrypted OpenSSH private key (ed25519, ecdsa or rsa) readable by certfleet only (chmod 600)");
                return [];
            }
        }

        if (keys.Count == 0)
        {
            failure = new HostFailure(HostFailureKind.Error, $"ssh: no identity file for {host.Name}",
                $"set hosts.{host.Name}.identityFile, or create ~/.ssh/id_ed25519 for certfleet's user");
            return [];
        }

        return [new PrivateKeyAuthenticationMethod(host.User, keys.ToArray())];
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "ssh: connected to {Host} ({Address}:{Port})")]
    private static partial void LogConnected(ILogger logger, string host, string address, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ssh: {Host} ({Address}:{Port}) unreachable: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string host, string address, int port, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "ssh: recorded host key of {Address}:{Port}: {Fingerprint}")]
    private static partial void LogTrusted(ILogger logger, string address, int port, string fingerprint);

    /// <summary>Decides about a presented key during key exchange and remembers why it refused.</summary>
    private sealed class KeyChecker(KnownHosts knownHosts, string address, int port)
    {
        public string Address => address;

        public int Port => port;

        public byte[]? Presented { get; private set; }

        public byte[]? Accepted { get; private set; }

        public HostKeyCheck? Refused { get; private set; }

        public void OnHostKey(object? sender, HostKeyEventArgs e)
        {
            Presented = e.HostKey;
            var check = knownHosts.Check(address, port, e.HostKey);
            e.CanTrust = check.Status == HostKeyStatus.Trusted;
            if (e.CanTrust)
            {
                Accepted = e.HostKey;
            }
            else
            {
                Refused = check;
            }
        }
    }
}
