using Certfleet.Remote;
using Certfleet.WebServers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Certfleet.Inventory;

/// <summary>Progress of a scan: one call when a host starts and one when it is done.</summary>
public sealed record ScanProgress(string Host, bool Done, HostInventory? Result);

/// <summary>Scans hosts over SSH, at most <see cref="SshSettings.Parallelism"/> at a time; one host failing never stops the others.</summary>
public sealed partial class InventoryScanner
{
    private const string FactsScript = WebServerDetector.PathPrefix + """
        echo "==os"; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
        echo "==pid1"; cat /proc/1/comm 2>/dev/null
        echo "==systemd"; [ -d /run/systemd/system ] && echo yes
        echo "==pkg"; for p in dnf yum apt-get zypper apk; do command -v "$p" >/dev/null 2>&1 && { echo "$p"; break; }; done
        echo "==selinux"; command -v getenforce >/dev/null 2>&1 && getenforce 2>/dev/null
        exit 0
        """;

    private readonly SshConnector _connector;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public InventoryScanner(SshConnector connector, TimeProvider? timeProvider = null, ILogger<InventoryScanner>? logger = null)
    {
        _connector = connector ?? throw new ArgumentNullException(nameof(connector));
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>How long the served-certificate handshake may take.</summary>
    public TimeSpan TlsTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public async Task<IReadOnlyList<HostInventory>> ScanAsync(IReadOnlyList<SshHost> hosts, IProgress<ScanProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        return await _connector.ForEachHostAsync(hosts, async (host, ct) =>
        {
            progress?.Report(new ScanProgress(host.Name, false, null));
            var result = await ScanHostAsync(host, ct);
            progress?.Report(new ScanProgress(host.Name, true, result));
            return result;
        }, cancellationToken);
    }

    public async Task<HostInventory> ScanHostAsync(SshHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var connected = await _connector.ConnectAsync(host, cancellationToken);
        if (connected.Session is not { } session)
        {
            return new HostInventory(host.Name, host.Address, host.Port, HostStatus.Failed, connected.Failure, null, [], [], _time.GetUtcNow());
        }

        await using (session)
        {
            return await ScanAsync(session, host, host.Address, cancellationToken);
        }
    }

    /// <summary>Scans over an existing connection (or a test double); <paramref name="tlsAddress"/> is where TLS endpoints are probed.</summary>
    public async Task<HostInventory> ScanAsync(IRemoteHost remote, SshHost host, string tlsAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(host);
        var findings = new List<string>();
        HostFacts? facts = null;
        var webServers = new List<WebServerInventory>();
        try
        {
            var factsResult = await remote.RunAsync(RemoteCommand.Script(FactsScript), cancellationToken);
            facts = ParseFacts(factsResult.Stdout);
            if (factsResult.TimedOut || factsResult.ExitCode != 0)
            {
                findings.Add($"facts: {factsResult.Stderr.Trim()}");
            }

            foreach (var server in await WebServerDetector.DetectAsync(remote, new RemoteFileSource(remote), cancellationToken))
            {
                findings.AddRange(server.Findings.Select(f => $"{server.Service}: {f}"));
                var endpoints = new List<EndpointInventory>();
                foreach (var endpoint in server.Endpoints)
                {
                    var (cert, error) = await ServedCertificateProbe.ProbeAsync(tlsAddress, endpoint.Port, endpoint.ServerNames.FirstOrDefault(), TlsTimeout, cancellationToken);
                    endpoints.Add(new EndpointInventory(endpoint, cert, error));
                }

                webServers.Add(new WebServerInventory(server, endpoints));
            }
        }
        catch (Exception e) when (e is Renci.SshNet.Common.SshException or IOException or InvalidOperationException)
        {
            LogScanFailed(_logger, host.Name, e.Message);
            findings.Add($"scan stopped: {e.Message}");
        }

        return new HostInventory(host.Name, host.Address, host.Port, HostStatus.Ok, null, facts, webServers, findings, _time.GetUtcNow());
    }

    internal static HostFacts ParseFacts(string output)
    {
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        string? current = null;
        var sb = new System.Text.StringBuilder();
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith("==", StringComparison.Ordinal))
            {
                if (current is not null)
                {
                    sections[current] = sb.ToString();
                }

                current = line[2..].Trim();
                sb.Clear();
            }
            else
            {
                sb.Append(line).Append('\n');
            }
        }

        if (current is not null)
        {
            sections[current] = sb.ToString();
        }

        string? Get(string key) => sections.TryGetValue(key, out var v) && v.Trim().Length > 0 ? v.Trim() : null;
        var pid1 = Get("pid1") ?? "unknown";
        return new HostFacts(OsRelease.Parse(Get("os") ?? ""), pid1, pid1 == "systemd" || Get("systemd") == "yes", Get("pkg"), Get("selinux"));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "inventory: scan of {Host} stopped: {Reason}")]
    private static partial void LogScanFailed(ILogger logger, string host, string reason);
}
