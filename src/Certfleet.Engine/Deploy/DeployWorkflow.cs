using Certfleet.Deployment;
using Certfleet.Remote;
using Microsoft.Extensions.Logging;

namespace Certfleet.Engine.Deploy;

/// <summary>Records one host's deployment in the run history; implemented over the history store by the host application.</summary>
public interface IDeployHistory
{
    Task RecordAsync(string certificate, HostDeployResult result, DateTimeOffset at, CancellationToken cancellationToken);
}

/// <summary>
/// Deploys the current version of a certificate to its <c>deploy:</c> targets: publishes it on the share when a target
/// uses one, then rolls out host by host (canary, batches) and records each host's outcome in
/// <c>stateDir/deploy/NAME.json</c> as it goes, so a killed run is finished by the next one. Hosts that already serve
/// the version are left alone, so running it again never re-issues and only completes what is missing.
/// </summary>
public sealed partial class DeployWorkflow
{
    private readonly CertfleetRuntime _runtime;
    private readonly IDeployHistory? _history;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _stateLock = new(1, 1);

    public DeployWorkflow(CertfleetRuntime runtime, IDeployHistory? history = null)
    {
        _runtime = runtime ?? throw new ArgumentNullException(nameof(runtime));
        _history = history;
        _logger = runtime.LoggerFactory.CreateLogger<DeployWorkflow>();
        Deployer = new HostDeployer(runtime.Time, runtime.LoggerFactory.CreateLogger<HostDeployer>());
    }

    /// <summary>The per-host steps; tests shorten its timeouts.</summary>
    public HostDeployer Deployer { get; init; }

    /// <summary>Certificates with at least one deploy target.</summary>
    public IReadOnlyList<string> Deployable => [.. _runtime.Settings.Certificates.Where(c => c.Deploy.Count > 0).Select(c => c.Name)];

    /// <summary>
    /// Deploys the current version of <paramref name="certificateName"/> to the hosts of its targets, restricted to
    /// <paramref name="hostSelection"/> (host names or @groups; empty for all). Returns one result per host and target.
    /// </summary>
    public async Task<DeployReport> DeployAsync(string certificateName, IReadOnlyList<string> hostSelection, IDeployObserver? observer, CancellationToken cancellationToken)
    {
        observer ??= NullDeployObserver.Instance;
        var (certificate, assignments, packages) = await PrepareAsync(certificateName, hostSelection, cancellationToken);
        var serial = packages.Values.First().Serial;
        var settings = _runtime.Settings;

        string? sharePrevious = null;
        ShareExport? share = null;
        if (certificate.Deploy.Any(t => t.Method == DeployMethod.Share) && assignments.Any(a => a.Target.Method == DeployMethod.Share))
        {
            share = new ShareExport(settings.Deployment.Share!.ExportPath);
            var target = certificate.Deploy.First(t => t.Method == DeployMethod.Share);
            try
            {
                sharePrevious = await share.PublishAsync(packages[target.Name], target.Owner, target.Group, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or DeploymentException)
            {
                throw new CertfleetException($"deploy: cannot publish {certificate.Name} in {share.ExportPath}: {e.Message}", e);
            }

            observer.Step("share", $"{share.BaseOf(certificate.Name)}: version {serial} is current (previous: {sharePrevious ?? "none"})");
        }

        var state = await LoadStateAsync(certificate.Name, cancellationToken);
        state = state with { Serial = serial, InProgress = true };
        await SaveAsync(state, cancellationToken);

        var connector = new SshConnector(settings.Fleet.Ssh, _runtime.LoggerFactory.CreateLogger<SshConnector>());
        var runner = new RolloutRunner(settings.Deployment.Rollout);
        var (results, stopped) = await runner.RunAsync(assignments, async (assignment, ct) =>
        {
            observer.HostStarted(assignment.Host.Name, assignment.Target.Name);
            var result = await DeployHostAsync(connector, assignment, packages[assignment.Target.Name], observer, ct);
            observer.HostFinished(result);
            state = await RecordAsync(certificate.Name, result, ct);
            return result;
        }, async (canaries, ct) =>
        {
            // A failed canary on the share: switch the share back so that no other host picks up the new files.
            if (share is not null && sharePrevious is not null && canaries.Any(c => c.Method == DeployMethod.Share && !c.Succeeded))
            {
                share.Restore(certificate.Name, sharePrevious);
                observer.Step("share", $"canary failed: {share.BaseOf(certificate.Name)} switched back to version {sharePrevious}");
            }

            await Task.CompletedTask;
        }, serial, cancellationToken);

        await _stateLock.WaitAsync(cancellationToken);
        try
        {
            state = (await LoadStateAsync(certificate.Name, cancellationToken)) with { InProgress = false };
            await state.SaveAsync(_runtime.Settings.StateDir, cancellationToken);
        }
        finally
        {
            _stateLock.Release();
        }

        LogDone(_logger, certificate.Name, serial, results.Count(r => r.Succeeded), results.Count);
        return new DeployReport(certificate.Name, serial, results, stopped);
    }

    /// <summary>The plan of <see cref="DeployAsync"/> without changing anything (hosts are inspected over SSH).</summary>
    public async Task<IReadOnlyList<HostPlan>> PlanAsync(string certificateName, IReadOnlyList<string> hostSelection, IDeployObserver? observer, CancellationToken cancellationToken)
    {
        observer ??= NullDeployObserver.Instance;
        var (_, assignments, packages) = await PrepareAsync(certificateName, hostSelection, cancellationToken);
        var connector = new SshConnector(_runtime.Settings.Fleet.Ssh, _runtime.LoggerFactory.CreateLogger<SshConnector>());
        var ordered = RolloutPlanner.Plan(assignments, _runtime.Settings.Deployment.Rollout).SelectMany(b => b).ToList();
        var plans = new List<HostPlan>();
        foreach (var assignment in ordered)
        {
            var package = packages[assignment.Target.Name];
            var connected = await connector.ConnectAsync(assignment.Host, cancellationToken);
            HostPlan plan;
            if (connected.Session is { } session)
            {
                await using (session)
                {
                    plan = await Deployer.PlanAsync(new SshDeployHost(session), assignment.Target, package, cancellationToken);
                }
            }
            else
            {
                plan = new HostPlan(assignment.Host.Name, assignment.Target.Name, assignment.Target.Method, HostDeployer.BaseDirectory(assignment.Target, package.Name),
                    [.. package.Files.Select(f => f.Name)], [$"(unreachable: {connected.Failure?.Message})"], [], []);
            }

            observer.Planned(plan);
            plans.Add(plan);
        }

        return plans;
    }

    /// <summary>Hosts of the certificate's targets that do not have its current version deployed and verified (per the state file).</summary>
    public async Task<IReadOnlyList<string>> PendingHostsAsync(string certificateName, CancellationToken cancellationToken)
    {
        var (_, assignments, packages) = await PrepareAsync(certificateName, [], cancellationToken);
        var state = await LoadStateAsync(certificateName, cancellationToken);
        return state.Pending(assignments.Select(a => a.Host.Name).Distinct(), packages.Values.First().Serial);
    }

    private async Task<HostDeployResult> DeployHostAsync(SshConnector connector, DeployAssignment assignment, DeployPackage package, IDeployObserver observer, CancellationToken cancellationToken)
    {
        var connected = await connector.ConnectAsync(assignment.Host, cancellationToken);
        if (connected.Session is not { } session)
        {
            var failure = connected.Failure!;
            return new HostDeployResult(assignment.Host.Name, assignment.Target.Name, assignment.Target.Method, package.Serial, HostOutcome.Unreachable,
                $"{failure.Message}; {failure.Fix}. Nothing was changed; the next certfleet deploy {package.Name} completes it", [], []);
        }

        await using (session)
        {
            try
            {
                return await Deployer.DeployAsync(new SshDeployHost(session), assignment.Target, package, observer, cancellationToken);
            }
            catch (Exception e) when (e is Renci.SshNet.Common.SshException or IOException or InvalidOperationException)
            {
                return new HostDeployResult(assignment.Host.Name, assignment.Target.Name, assignment.Target.Method, package.Serial, HostOutcome.Failed,
                    $"deploy: {assignment.Host.Name}: the connection failed midway ({e.Message}); the host serves the old or the new version, the next deploy finishes it", [], []);
            }
        }
    }

    private async Task<(CertificateSettings Certificate, IReadOnlyList<DeployAssignment> Assignments, IReadOnlyDictionary<string, DeployPackage> Packages)> PrepareAsync(
        string certificateName, IReadOnlyList<string> hostSelection, CancellationToken cancellationToken)
    {
        var settings = _runtime.Settings;
        var certificate = settings.Find(certificateName)
            ?? throw new UsageException($"deploy: no certificate '{certificateName}' in {settings.File}; configured: {string.Join(", ", settings.Certificates.Select(c => c.Name))}");
        if (certificate.Deploy.Count == 0)
        {
            throw new UsageException($"deploy: certificate '{certificate.Name}' has no deploy: targets in {settings.File}; add e.g. deploy: [{{ to: \"@web\", method: push }}]");
        }

        if (certificate.Deploy.Any(t => t.Method == DeployMethod.Share) && settings.Deployment.Share is null)
        {
            throw new UsageException($"deploy: certificate '{certificate.Name}' has a target with method: share but {settings.File} has no share: {{ exportPath: ... }}");
        }

        var bundle = await _runtime.Store.ReadCurrentBundleAsync(certificate.Name, cancellationToken)
            ?? throw new CertfleetException($"deploy: {certificate.Name} has not been issued yet; run certfleet issue {certificate.Name}");

        HashSet<string>? selected = null;
        if (hostSelection.Count > 0)
        {
            var (hosts, errors) = HostSelector.Select(settings.Fleet, hostSelection);
            if (errors.Count > 0)
            {
                throw new UsageException(string.Join("; ", errors));
            }

            selected = [.. hosts.Select(h => h.Name)];
        }

        var assignments = new List<DeployAssignment>();
        var packages = new Dictionary<string, DeployPackage>(StringComparer.Ordinal);
        foreach (var target in certificate.Deploy)
        {
            var (hosts, errors) = HostSelector.Select(settings.Fleet, target.To);
            if (errors.Count > 0)
            {
                throw new UsageException($"deploy: certificates.{certificate.Name}.deploy[{target.Name}].to: {string.Join("; ", errors)}");
            }

            packages[target.Name] = DeployPackage.Create(certificate.Name, bundle, target.Tomcat);
            foreach (var host in hosts.Where(h => selected is null || selected.Contains(h.Name)))
            {
                if (!assignments.Any(a => a.Host.Name == host.Name && a.Target.Path == target.Path))
                {
                    assignments.Add(new DeployAssignment(host, target));
                }
            }
        }

        if (hostSelection.Count > 0 && assignments.Count == 0)
        {
            throw new UsageException($"deploy: none of {string.Join(", ", hostSelection)} is a target of {certificate.Name}");
        }

        return (certificate, assignments, packages);
    }

    private async Task<DeploymentState> LoadStateAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await DeploymentState.LoadAsync(_runtime.Settings.StateDir, name, cancellationToken)
                ?? new DeploymentState(name, null, false, new Dictionary<string, HostDeployState>(StringComparer.Ordinal));
        }
        catch (DeploymentException e)
        {
            throw new CertfleetException(e.Message, e);
        }
    }

    private async Task SaveAsync(DeploymentState state, CancellationToken cancellationToken)
    {
        await _stateLock.WaitAsync(cancellationToken);
        try
        {
            await state.SaveAsync(_runtime.Settings.StateDir, cancellationToken);
        }
        finally
        {
            _stateLock.Release();
        }
    }

    private async Task<DeploymentState> RecordAsync(string name, HostDeployResult result, CancellationToken cancellationToken)
    {
        var now = _runtime.Time.GetUtcNow();
        DeploymentState state;
        await _stateLock.WaitAsync(cancellationToken);
        try
        {
            state = await LoadStateAsync(name, cancellationToken);
            var hosts = new Dictionary<string, HostDeployState>(state.Hosts, StringComparer.Ordinal);
            var keep = hosts.GetValueOrDefault(result.Host);

            // A host that was not reached keeps the serial it had; one that was worked on has the new one or the restored one.
            var serial = result.Outcome switch
            {
                HostOutcome.Deployed or HostOutcome.UpToDate => result.Serial,
                HostOutcome.Unreachable or HostOutcome.Skipped or HostOutcome.Planned => keep?.Serial,
                _ => result.RestoredVersion ?? keep?.Serial,
            };
            hosts[result.Host] = new HostDeployState(serial, result.Outcome.ToString(), now, result.Outcome is HostOutcome.Deployed or HostOutcome.UpToDate ? null : result.Message);
            state = state with { Hosts = hosts };
            await state.SaveAsync(_runtime.Settings.StateDir, cancellationToken);
        }
        finally
        {
            _stateLock.Release();
        }

        if (_history is not null)
        {
            await _history.RecordAsync(name, result, now, cancellationToken);
        }

        return state;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "deploy: {Name} serial {Serial}: {Ok} of {Total} host(s) done")]
    private static partial void LogDone(ILogger logger, string name, string serial, int ok, int total);
}
