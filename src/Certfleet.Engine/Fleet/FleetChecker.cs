using Certfleet.Inventory;
using Certfleet.Remote;
using Certfleet.WebServers;
using Certfleet.WebServers.Checks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Certfleet.Engine.Fleet;

/// <summary>The check of one host: its failure (unreachable, host key) or its web servers and findings.</summary>
public sealed record HostCheck(string Host, HostFailure? Failure, IReadOnlyList<WebServerCheck> WebServers, IReadOnlyList<CheckFinding> Findings)
{
    public bool HasErrors => Findings.Any(f => f.Severity == CheckSeverity.Error);

    /// <summary>What each TLS endpoint served to a handshake from the controller.</summary>
    public IReadOnlyList<ServedEndpoint> Served { get; init; } = [];
}

/// <summary>One endpoint as the controller saw it: the certificate it served, and the managed certificate covering its names.</summary>
/// <param name="Sni">The server name sent in the handshake (null for the default site).</param>
/// <param name="Served">The served leaf; null when the handshake failed (<paramref name="Error"/>).</param>
/// <param name="MatchesConfigured">Whether the served leaf is the one in the endpoint's configured file.</param>
/// <param name="Managed">The configured certificate covering the endpoint's names, if any.</param>
/// <param name="IsCurrent">Whether the served leaf is the managed certificate's current version in the store.</param>
public sealed record ServedEndpoint(
    string Host, string WebServer, int Port, string? Sni, ServedCertificate? Served, string? Error, bool MatchesConfigured, string? Managed, bool IsCurrent);

/// <summary>The result of <see cref="FleetChecker.CheckAsync(IReadOnlyList{SshHost}, IProgress{ScanProgress}?, CancellationToken)"/>.</summary>
public sealed record FleetCheckReport(DateTimeOffset CheckedAt, IReadOnlyList<HostCheck> Hosts)
{
    public IEnumerable<CheckFinding> Findings => Hosts.SelectMany(h => h.Findings);

    public bool HasErrors => Hosts.Any(h => h.HasErrors);
}

/// <summary>
/// Runs <c>certfleet check</c> over hosts: per web server <see cref="WebServerChecker"/>, then the served certificate
/// against the configured one (TLS handshake from the controller), managed-or-not against the configured certificates,
/// and the share mounts named by the deployment. Never changes anything on a host.
/// </summary>
public sealed partial class FleetChecker
{
    private const string FactsScript = "command -v getenforce >/dev/null 2>&1 && echo \"selinux $(getenforce 2>/dev/null)\"; cat /etc/os-release 2>/dev/null; exit 0";

    private readonly SshConnector _connector;
    private readonly IReadOnlyList<ManagedCertificate> _managed;
    private readonly IDeploymentTargets _deployment;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public FleetChecker(SshConnector connector, IReadOnlyList<ManagedCertificate> managed, IDeploymentTargets? deployment = null, TimeProvider? timeProvider = null, ILogger<FleetChecker>? logger = null)
    {
        _connector = connector ?? throw new ArgumentNullException(nameof(connector));
        _managed = managed ?? throw new ArgumentNullException(nameof(managed));
        _deployment = deployment ?? NoDeploymentTargets.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>A checker for a runtime: the fleet's SSH settings and the configured certificates' current versions.</summary>
    public static async Task<FleetChecker> CreateAsync(CertfleetRuntime runtime, IDeploymentTargets? deployment, CancellationToken cancellationToken, TimeSpan? warningWindow = null)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var managed = await CertificateCoverage.LoadAsync(runtime, cancellationToken);
        return new FleetChecker(new SshConnector(runtime.Settings.Fleet.Ssh, runtime.LoggerFactory.CreateLogger<SshConnector>()), managed, deployment,
            runtime.Time, runtime.LoggerFactory.CreateLogger<FleetChecker>())
        {
            WarningWindow = warningWindow ?? TimeSpan.FromDays(14),
        };
    }

    /// <summary>A certificate expiring sooner than this is a warning.</summary>
    public TimeSpan WarningWindow { get; init; } = TimeSpan.FromDays(14);

    /// <summary>How long the served-certificate handshake may take.</summary>
    public TimeSpan TlsTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Checks every host, at most ssh.parallelism at a time; one host failing never stops the others.</summary>
    public async Task<FleetCheckReport> CheckAsync(IReadOnlyList<SshHost> hosts, IProgress<ScanProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        var results = await _connector.ForEachHostAsync(hosts, async (host, ct) =>
        {
            progress?.Report(new ScanProgress(host.Name, false, null));
            var result = await CheckHostAsync(host, ct);
            progress?.Report(new ScanProgress(host.Name, true, null));
            return result;
        }, cancellationToken);
        return new FleetCheckReport(_time.GetUtcNow(), results);
    }

    /// <summary>Connects to one host and checks it.</summary>
    public async Task<HostCheck> CheckHostAsync(SshHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var connected = await _connector.ConnectAsync(host, cancellationToken);
        if (connected.Session is not { } session)
        {
            var f = connected.Failure!;
            var code = f.Kind switch
            {
                HostFailureKind.Unreachable => "unreachable",
                HostFailureKind.HostKeyUnknown or HostFailureKind.HostKeyChanged or HostFailureKind.HostKeyRevoked => "host-key",
                HostFailureKind.AuthenticationFailed => "authentication",
                _ => "ssh",
            };
            return new HostCheck(host.Name, f, [], [new CheckFinding(CheckSeverity.Error, code, host.Name, "-", null, f.Message, f.Fix)]);
        }

        await using (session)
        {
            return await CheckAsync(session, host.Name, host.Address, cancellationToken);
        }
    }

    /// <summary>
    /// Checks a host over an open connection (deployment calls this before and after it changes files);
    /// <paramref name="tlsAddress"/> is where TLS endpoints are probed from the controller.
    /// </summary>
    public async Task<HostCheck> CheckAsync(IRemoteHost remote, string hostName, string tlsAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var findings = new List<CheckFinding>();
        var servers = new List<WebServerCheck>();
        var served = new List<ServedEndpoint>();
        try
        {
            var facts = await remote.RunAsync(RemoteCommand.Script(FactsScript), cancellationToken);
            var os = OsRelease.Parse(facts.Stdout);
            var enforcing = os.Family == OsFamily.Rhel && facts.Stdout.Contains("selinux Enforcing", StringComparison.Ordinal);
            var targets = _deployment.TargetsFor(hostName);
            var context = new CheckHostContext(hostName, enforcing)
            {
                KeyGroups = targets.Select(t => t.KeyGroup).OfType<string>().ToHashSet(StringComparer.Ordinal),
            };
            var options = new CheckOptions(WarningWindow, _time.GetUtcNow());
            var detected = await WebServerDetector.DetectAsync(remote, new RemoteFileSource(remote), cancellationToken);
            if (detected.Count == 0)
            {
                findings.Add(new CheckFinding(CheckSeverity.Info, "no-web-server", hostName, "-", null, "no nginx, Apache or Tomcat found", "nothing to check on this host"));
            }

            foreach (var server in detected)
            {
                var check = await WebServerChecker.CheckAsync(remote, server, context, options, cancellationToken);
                var extra = new List<CheckFinding>();
                foreach (var endpoint in check.Endpoints)
                {
                    var names = CertificateAnalysis.NamesToCover(endpoint.Endpoint.ServerNames);
                    var covering = CertificateCoverage.Covering(_managed, names.Count > 0 ? names : endpoint.LeafNames);
                    await ServedAsync(check, endpoint, names, covering, hostName, tlsAddress, extra, served, cancellationToken);
                    Managed(check, endpoint, covering, hostName, targets, extra);
                }

                servers.Add(check with { Findings = [.. check.Findings, .. extra] });
                findings.AddRange(check.Findings);
                findings.AddRange(extra);
            }

            foreach (var share in targets.Select(t => t.Share).OfType<ShareExpectation>().DistinctBy(s => s.MountPoint))
            {
                findings.AddRange(await ShareChecker.CheckAsync(remote, hostName, share, cancellationToken));
            }
        }
        catch (Exception e) when (e is Renci.SshNet.Common.SshException or IOException or InvalidOperationException)
        {
            LogCheckStopped(_logger, hostName, e.Message);
            findings.Add(new CheckFinding(CheckSeverity.Error, "check-stopped", hostName, "-", null, $"check stopped: {e.Message}", "run the check again; if it repeats, rerun with --verbose"));
        }

        return new HostCheck(hostName, null, servers, findings) { Served = served };
    }

    private async Task ServedAsync(WebServerCheck check, EndpointCheck endpoint, IReadOnlyList<string> names, ManagedCertificate? covering, string hostName, string tlsAddress,
        List<CheckFinding> into, List<ServedEndpoint> seen, CancellationToken cancellationToken)
    {
        var ep = endpoint.Endpoint;
        if (endpoint.LeafSha256 is null || !check.Server.Running)
        {
            return;
        }

        if (ep.Address is { } bound && (bound.StartsWith("127.", StringComparison.Ordinal) || bound is "::1" or "[::1]" or "localhost"))
        {
            into.Add(new(CheckSeverity.Info, "served-not-probed", hostName, check.Server.Service, ep.Location, $"listens on {bound} only; the served certificate was not compared", "check it on the host: openssl s_client -connect " + bound + ":" + ep.Port));
            return;
        }

        var sni = names.FirstOrDefault(n => !n.StartsWith('*') && !n.StartsWith('.'));
        var (served, error) = await ServedCertificateProbe.ProbeAsync(tlsAddress, ep.Port, sni, TlsTimeout, cancellationToken);
        seen.Add(new ServedEndpoint(hostName, check.Server.Service, ep.Port, sni, served, served is null ? error : null,
            served is not null && string.Equals(served.Sha256, endpoint.LeafSha256, StringComparison.OrdinalIgnoreCase),
            covering?.Name,
            served is not null && covering?.CurrentSha256 is { } current && string.Equals(served.Sha256, current, StringComparison.OrdinalIgnoreCase)));
        if (served is null)
        {
            var pending = endpoint.CertificateModified is { } m && check.LastStarted is { } s && m > s;
            into.Add(new(CheckSeverity.Error, "not-served", hostName, check.Server.Service, ep.Location, $"nothing serves TLS on port {ep.Port}: {error}",
                pending ? $"reload {check.Server.Service}: the configuration is newer than the running server" : $"check that {check.Server.Service} listens on {ep.Port} and that no firewall blocks it"));
            return;
        }

        if (string.Equals(served.Sha256, endpoint.LeafSha256, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var reloadPending = endpoint.CertificateModified is { } modified && check.LastStarted is { } started && modified > started;
        var what = $"port {ep.Port}{(sni is null ? "" : $" ({sni})")} serves {served.Subject} serial {served.Serial} (until {served.NotAfter:yyyy-MM-dd}), not the configured {ep.CertificateFile ?? ep.Keystore?.File}";
        into.Add(reloadPending
            ? new(CheckSeverity.Error, "reload-pending", hostName, check.Server.Service, ep.CertificateLocation ?? ep.Location,
                $"reload pending: {what}, which changed after {check.Server.Service} last (re)started", $"reload {check.Server.Service} ({ReloadCommand(check.Server)}) after 'certfleet check' shows no error")
            : new(CheckSeverity.Error, "another-server", hostName, check.Server.Service, ep.Location,
                $"another server answers on this port: {what}", $"find who listens on {ep.Port} (ss -ltnp) and which server block/virtual host answers for {sni ?? "the default name"}"));
    }

    private static void Managed(WebServerCheck check, EndpointCheck endpoint, ManagedCertificate? covering, string hostName, IReadOnlyList<DeployTarget> targets, List<CheckFinding> into)
    {
        var ep = endpoint.Endpoint;
        if (covering is null)
        {
            return;
        }

        var configured = ep.CertificateFile ?? ep.Keystore?.File;
        var at = ep.CertificateLocation ?? ep.Location;
        var target = targets.FirstOrDefault(t => t.Certificate == covering.Name);
        if (target is not null && !string.Equals(target.CertificatePath, configured, StringComparison.Ordinal))
        {
            into.Add(new(CheckSeverity.Warning, "unmanaged-files", hostName, check.Server.Service, at,
                $"names covered by the managed certificate '{covering.Name}', but the endpoint uses {configured}, not {target.CertificatePath}",
                $"point the endpoint at {target.CertificatePath}{(target.KeyPath is { } k ? $" and {k}" : "")}"));
            return;
        }

        if (covering.CurrentSha256 is null || endpoint.LeafSha256 is null || string.Equals(covering.CurrentSha256, endpoint.LeafSha256, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        into.Add(target is not null
            ? new(CheckSeverity.Error, "stale-version", hostName, check.Server.Service, at,
                $"{configured} is the managed path of '{covering.Name}' but does not hold its current version", $"deploy it again: certfleet deploy {covering.Name}")
            : new(CheckSeverity.Warning, "not-managed", hostName, check.Server.Service, at,
                $"names covered by the configured certificate '{covering.Name}', but {configured} holds another certificate", $"deploy '{covering.Name}' to this host and point the endpoint at it"));
    }

    private static string ReloadCommand(WebServerInfo server) => server.Kind switch
    {
        WebServerKind.Nginx => "nginx -s reload",
        WebServerKind.Apache => server.Layout == "httpd" ? "apachectl -k graceful" : "apache2ctl -k graceful",
        _ => $"restart {server.Service}",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "check: {Host} stopped: {Reason}")]
    private static partial void LogCheckStopped(ILogger logger, string host, string reason);
}
