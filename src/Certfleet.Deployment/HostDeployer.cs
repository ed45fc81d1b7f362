using Certfleet.Inventory;
using Certfleet.Remote;
using Certfleet.WebServers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Certfleet.Deployment;

/// <summary>A host certfleet deploys to: commands, with or without data on their standard input.</summary>
public interface IDeployHost : IRemoteHost
{
    SshHost Host { get; }

    Task<CommandResult> RunAsync(RemoteCommand command, ReadOnlyMemory<byte> input, CancellationToken cancellationToken);
}

/// <summary>An <see cref="SshSession"/> as an <see cref="IDeployHost"/>.</summary>
public sealed class SshDeployHost(SshSession session) : IDeployHost
{
    public SshHost Host => session.Host;

    public string Name => session.Name;

    public Task<CommandResult> RunAsync(RemoteCommand command, CancellationToken cancellationToken) => session.RunAsync(command, cancellationToken);

    public Task<CommandResult> RunAsync(RemoteCommand command, ReadOnlyMemory<byte> input, CancellationToken cancellationToken) =>
        session.RunAsync(command, input, cancellationToken);
}

/// <summary>
/// Deploys one version to one host: place the files → config test → reload → handshake on each endpoint that uses
/// the files → on failure restore the previous version, reload, verify. A config test that fails is never followed by a reload.
/// </summary>
public sealed partial class HostDeployer
{
    // The service manager, then the layout's current version ($1 base): one command for both.
    private const string FactsScript = "if [ -d /run/systemd/system ]; then echo systemd; else echo init; fi\n" + RemoteLayout.ReadScript;

    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public HostDeployer(TimeProvider? time = null, ILogger<HostDeployer>? logger = null)
    {
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>How long endpoints may take to serve the new certificate after a reload (nginx and Apache reload asynchronously).</summary>
    public TimeSpan VerifyTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The same after a restart (Tomcat's JVM).</summary>
    public TimeSpan RestartVerifyTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>How long a share mount may take to show a new version (NFS attribute caching, actimeo).</summary>
    public TimeSpan ShareVisibleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where TLS endpoints are probed; the host's address by default.</summary>
    public Func<SshHost, string> TlsAddress { get; init; } = h => h.Address;

    public static string BaseDirectory(DeployTarget target, string certificate) => $"{target.Path}/{certificate}";

    /// <summary>What would be done, without changing anything on the host.</summary>
    public async Task<HostPlan> PlanAsync(IDeployHost host, DeployTarget target, DeployPackage package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(package);
        var (actions, _, _, _) = await InspectAsync(host, target, package.Name, cancellationToken);
        return new HostPlan(host.Name, target.Name, target.Method, BaseDirectory(target, package.Name),
            [.. package.Files.Select(f => f.Name)], [.. actions.Select(a => a.Service)], [.. actions.Select(a => a.TestText)], [.. actions.Select(a => a.ReloadText)]);
    }

    public async Task<HostDeployResult> DeployAsync(IDeployHost host, DeployTarget target, DeployPackage package, IDeployObserver? observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(package);
        observer ??= NullDeployObserver.Instance;
        var steps = new List<string>();
        void Step(string message)
        {
            steps.Add(message);
            observer.Step(host.Name, message);
            LogStep(_logger, host.Name, message);
        }

        HostDeployResult Result(HostOutcome outcome, string message, IReadOnlyList<EndpointCheck>? endpoints = null, string? restored = null) =>
            new(host.Name, target.Name, target.Method, package.Serial, outcome, message, steps, endpoints ?? [], restored);

        var baseDir = BaseDirectory(target, package.Name);
        var (actions, endpoints, unknown, current) = await InspectAsync(host, target, package.Name, cancellationToken);
        if (unknown.Count > 0)
        {
            return Result(HostOutcome.Failed, $"deploy: {host.Name}: unknown service(s) {string.Join(", ", unknown)}; use nginx, httpd, apache2, tomcat, tomcat9, tomcat10 or auto");
        }

        Step($"services: {(actions.Count == 0 ? "none" : string.Join(", ", actions.Select(a => a.Service)))}; endpoints using {baseDir}: {(endpoints.Count == 0 ? "none" : string.Join(", ", endpoints.Select(e => e.Port)))}");
        if (current == package.Version)
        {
            var already = await VerifyAsync(host, endpoints, package.Serial, TimeSpan.Zero, cancellationToken);
            if (already.All(e => e.Matches))
            {
                Step($"version {package.Version} is in place and served");
                return Result(HostOutcome.UpToDate, "already deployed", already);
            }

            // On a share the issuer has just published the version, so being in place is the normal case there.
            if (target.Method == DeployMethod.Push)
            {
                Step($"version {package.Version} is in place but not served everywhere: finishing");
            }
        }

        // 1. Place the files.
        string? previous = null;
        if (target.Method == DeployMethod.Push)
        {
            if (current != package.Version)
            {
                var (ok, prev, error) = await PushAsync(host, target, package, baseDir, cancellationToken);
                if (!ok)
                {
                    return Result(HostOutcome.Failed, $"deploy: {host.Name}: placing the files in {baseDir} failed: {error}; nothing was reloaded");
                }

                previous = prev;
                Step($"placed {baseDir}/versions/{package.Version} and switched current (previous: {prev ?? "none"})");
            }
            else
            {
                previous = await PreviousAsync(host, baseDir, cancellationToken);
            }
        }
        else
        {
            var visible = await WaitVisibleAsync(host, baseDir, package.Serial, cancellationToken);
            if (!visible)
            {
                return Result(HostOutcome.Failed, $"deploy: {host.Name}: the share mounted at {target.Path} does not show version {package.Version} of {package.Name} within {ShareVisibleTimeout.TotalSeconds:0}s; check the mount (certfleet share setup) and retry");
            }

            Step($"share at {target.Path} shows version {package.Version}");
        }

        // A configuration that names these files before they first exist does not parse (nginx -T fails), so its
        // endpoints were not seen above; with the files in place they can be.
        if (endpoints.Count == 0 && previous is null)
        {
            var parsed = await InspectAsync(host, target, package.Name, cancellationToken);
            if (parsed.Endpoints.Count > 0)
            {
                (actions, endpoints) = (parsed.Actions, parsed.Endpoints);
                Step($"endpoints using {baseDir} now that the files exist: {string.Join(", ", endpoints.Select(e => e.Port))}");
            }
        }

        // 2. Config tests: never reload a configuration that fails its test.
        foreach (var action in actions.Where(a => a.Test is not null))
        {
            var test = await host.RunAsync(action.Test!, cancellationToken);
            if (!test.Succeeded)
            {
                var reason = FirstLine(test.Stderr + "\n" + test.Stdout);
                Step($"{action.TestText} failed: {reason}");
                var restored = await RestoreFilesAsync(host, target, baseDir, previous, Step, cancellationToken);
                return Result(HostOutcome.ConfigTestFailed,
                    $"deploy: {host.Name}: {action.TestText} failed with the new files ({reason}); {(restored is null ? "no previous version to restore" : $"version {restored} restored")}, nothing reloaded, the old certificate is still served",
                    restored: restored);
            }

            Step($"{action.TestText}: ok");
        }

        // 3. Reload, 4. verify.
        var failure = await ReloadAsync(host, actions, Step, cancellationToken);
        IReadOnlyList<EndpointCheck> checks = [];
        if (failure is null)
        {
            checks = await VerifyAsync(host, endpoints, package.Serial, actions.Any(a => a.Restarts) ? RestartVerifyTimeout : VerifyTimeout, cancellationToken);
            var bad = checks.Where(c => !c.Matches).ToList();
            if (bad.Count == 0)
            {
                Step(checks.Count == 0 ? "no endpoint uses these files yet: nothing to verify" : $"every endpoint serves {package.Serial}");
                return Result(HostOutcome.Deployed, checks.Count == 0 ? "deployed (no endpoint uses the files yet)" : "deployed and verified", checks);
            }

            failure = string.Join("; ", bad.Select(b => $"port {b.Port} serves {b.ServedSerial ?? b.Error}"));
        }

        Step($"failed: {failure}");

        // 5. Roll back: previous files, test, reload, verify the old serial.
        var back = await RestoreFilesAsync(host, target, baseDir, previous, Step, cancellationToken);
        if (back is null)
        {
            return Result(HostOutcome.Failed, $"deploy: {host.Name}: {failure}; no previous version could be restored, look at the host", checks);
        }

        var (_, restoredManifest) = await ReadAsync(host, baseDir, cancellationToken);
        foreach (var action in actions.Where(a => a.Test is not null))
        {
            if (!(await host.RunAsync(action.Test!, cancellationToken)).Succeeded)
            {
                return Result(HostOutcome.Failed, $"deploy: {host.Name}: {failure}; version {back} was restored but {action.TestText} fails too; look at the host", checks, back);
            }
        }

        var again = await ReloadAsync(host, actions, Step, cancellationToken);
        var oldChecks = again is null && restoredManifest is not null
            ? await VerifyAsync(host, endpoints, restoredManifest.Serial, actions.Any(a => a.Restarts) ? RestartVerifyTimeout : VerifyTimeout, cancellationToken)
            : [];
        if (again is not null || oldChecks.Any(c => !c.Matches))
        {
            return Result(HostOutcome.Failed, $"deploy: {host.Name}: {failure}; version {back} was restored but {again ?? "its serial is not served"}; look at the host", oldChecks, back);
        }

        Step($"rolled back to {back}; the old certificate is served");
        return Result(HostOutcome.RolledBack, $"deploy: {host.Name}: {failure}; rolled back to version {back}", oldChecks, back);
    }

    private async Task<(IReadOnlyList<ServiceAction> Actions, IReadOnlyList<TlsEndpoint> Endpoints, IReadOnlyList<string> Unknown, string? Current)> InspectAsync(
        IDeployHost host, DeployTarget target, string certificate, CancellationToken cancellationToken)
    {
        var facts = await host.RunAsync(RemoteCommand.Script(FactsScript, BaseDirectory(target, certificate)), cancellationToken);
        var newline = facts.Stdout.IndexOf('\n', StringComparison.Ordinal);
        var systemd = (newline < 0 ? facts.Stdout : facts.Stdout[..newline]).Trim() == "systemd";
        var (current, _) = RemoteLayout.ParseRead(newline < 0 ? "" : facts.Stdout[(newline + 1)..]);
        var detected = await WebServerDetector.DetectAsync(host, new RemoteFileSource(host), cancellationToken);
        var (actions, unknown) = Services.Resolve(target.Services, detected, systemd);
        var prefix = BaseDirectory(target, certificate) + "/";
        var endpoints = detected
            .Where(d => actions.Any(a => a.Service == d.Service))
            .SelectMany(d => d.Endpoints)
            .Where(e => (e.CertificateFile?.StartsWith(prefix, StringComparison.Ordinal) ?? false) || (e.Keystore?.File.StartsWith(prefix, StringComparison.Ordinal) ?? false))
            .DistinctBy(e => e.Port)
            .ToList();
        return (actions, endpoints, unknown, current);
    }

    private static async Task<(string? Current, DeployManifest? Manifest)> ReadAsync(IDeployHost host, string baseDir, CancellationToken cancellationToken) =>
        RemoteLayout.ParseRead((await host.RunAsync(RemoteLayout.Read(baseDir), cancellationToken)).Stdout);

    private static async Task<string?> PreviousAsync(IDeployHost host, string baseDir, CancellationToken cancellationToken)
    {
        var r = await host.RunAsync(RemoteCommand.Of("readlink", $"{baseDir}/previous"), cancellationToken);
        var t = r.Stdout.Trim();
        return r.Succeeded && t.StartsWith("versions/", StringComparison.Ordinal) ? t[9..] : null;
    }

    private static async Task<(bool Ok, string? Previous, string? Error)> PushAsync(IDeployHost host, DeployTarget target, DeployPackage package, string baseDir, CancellationToken cancellationToken)
    {
        // Root stages next to the target (one filesystem, so the final mv is a rename); others stage in /tmp, as sudo.
        var staging = host.Host.User == "root" && !host.Host.Sudo ? $"{baseDir}/.staging-{Guid.NewGuid():N}" : $"/tmp/certfleet-{Guid.NewGuid():N}";
        // One command on the session already open: prepare, unpack the files from standard input, install, prune.
        var installed = await host.RunAsync(RemoteLayout.Push(baseDir, staging, package.Version, target.Owner, target.Group, 3, host.Host.User),
            RemoteLayout.Archive(package.Files), cancellationToken);
        if (!installed.Succeeded)
        {
            return (false, null, installed.TimedOut ? installed.Stderr : FirstLine(installed.Stderr));
        }

        var prev = installed.Stdout.Split('\n').FirstOrDefault(l => l.StartsWith("previous", StringComparison.Ordinal))?[8..].Trim();
        return (true, string.IsNullOrEmpty(prev) ? null : prev, null);
    }

    private async Task<bool> WaitVisibleAsync(IDeployHost host, string baseDir, string serial, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + ShareVisibleTimeout;
        while (true)
        {
            var (_, manifest) = await ReadAsync(host, baseDir, cancellationToken);
            if (manifest?.Serial == serial)
            {
                return true;
            }

            if (_time.GetUtcNow() >= deadline)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), _time, cancellationToken);
        }
    }

    private static async Task<string?> RestoreFilesAsync(IDeployHost host, DeployTarget target, string baseDir, string? previous, Action<string> step, CancellationToken cancellationToken)
    {
        if (target.Method == DeployMethod.Share)
        {
            // The share is one for all hosts: it is switched back by the rollout (for a failed canary), not per host.
            step("share: files are common to all hosts; not switched back for one host");
            return null;
        }

        if (previous is null)
        {
            return null;
        }

        var r = await host.RunAsync(RemoteLayout.Restore(baseDir, previous), cancellationToken);
        if (!r.Succeeded)
        {
            step($"restoring version {previous} failed: {FirstLine(r.Stderr)}");
            return null;
        }

        step($"restored version {previous}");
        return previous;
    }

    private static async Task<string?> ReloadAsync(IDeployHost host, IReadOnlyList<ServiceAction> actions, Action<string> step, CancellationToken cancellationToken)
    {
        foreach (var action in actions)
        {
            var r = await host.RunAsync(action.Reload, cancellationToken);
            if (!r.Succeeded)
            {
                return $"{action.ReloadText} failed: {FirstLine(r.Stderr + "\n" + r.Stdout)}";
            }

            step($"{action.ReloadText}: ok");
        }

        return null;
    }

    private async Task<IReadOnlyList<EndpointCheck>> VerifyAsync(IDeployHost host, IReadOnlyList<TlsEndpoint> endpoints, string serial, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + timeout;
        var results = new List<EndpointCheck>();
        foreach (var endpoint in endpoints)
        {
            var name = endpoint.ServerNames.FirstOrDefault(n => !n.Contains('*', StringComparison.Ordinal));

            // nginx and Apache swap workers within tens of milliseconds of a reload: ask again soon, then less often.
            var pause = TimeSpan.FromMilliseconds(50);
            while (true)
            {
                var (served, error) = await ServedCertificateProbe.ProbeAsync(TlsAddress(host.Host), endpoint.Port, name, TimeSpan.FromSeconds(5), cancellationToken);
                var matches = served is not null && string.Equals(served.Serial, serial, StringComparison.OrdinalIgnoreCase);
                if (matches || _time.GetUtcNow() >= deadline)
                {
                    results.Add(new EndpointCheck(endpoint.Port, name, served?.Serial, matches, error));
                    break;
                }

                await Task.Delay(pause, _time, cancellationToken);
                pause = TimeSpan.FromMilliseconds(Math.Min(500, pause.TotalMilliseconds * 2));
            }
        }

        return results;
    }

    private static string FirstLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.FirstOrDefault(l => l.Contains("emerg", StringComparison.Ordinal) || l.Contains("rror", StringComparison.Ordinal) || l.Contains("fail", StringComparison.OrdinalIgnoreCase))
            ?? lines.FirstOrDefault() ?? "no output";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "deploy: {Host}: {Message}")]
    private static partial void LogStep(ILogger logger, string host, string message);
}
