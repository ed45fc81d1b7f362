namespace Certfleet.Deployment;

public enum HostOutcome
{
    /// <summary>Files placed, services reloaded, every endpoint serves the new serial.</summary>
    Deployed,
    /// <summary>The host already had and served this version; nothing was changed.</summary>
    UpToDate,
    /// <summary>The host could not be reached or trusted; nothing was changed. The next deploy retries.</summary>
    Unreachable,
    /// <summary>A config test failed with the new files; the previous version was restored and nothing was reloaded.</summary>
    ConfigTestFailed,
    /// <summary>Reload or verification failed; the previous version was restored and reloaded.</summary>
    RolledBack,
    /// <summary>Something failed and the previous version could not be restored: look at the host.</summary>
    Failed,
    /// <summary>Not attempted because a canary failed.</summary>
    Skipped,
    /// <summary>Dry run: the plan only.</summary>
    Planned,
}

/// <summary>A TLS endpoint checked after the reload.</summary>
public sealed record EndpointCheck(int Port, string? ServerName, string? ServedSerial, bool Matches, string? Error);

/// <summary>The result of deploying one certificate version to one host.</summary>
/// <param name="Steps">What was done, in order, one line each (no secrets).</param>
public sealed record HostDeployResult(
    string Host,
    string Target,
    DeployMethod Method,
    string Serial,
    HostOutcome Outcome,
    string Message,
    IReadOnlyList<string> Steps,
    IReadOnlyList<EndpointCheck> Endpoints,
    string? RestoredVersion = null)
{
    public bool Succeeded => Outcome is HostOutcome.Deployed or HostOutcome.UpToDate or HostOutcome.Planned;
}

/// <summary>What a dry run prints per host.</summary>
public sealed record HostPlan(string Host, string Target, DeployMethod Method, string Directory, IReadOnlyList<string> Files, IReadOnlyList<string> Services, IReadOnlyList<string> ConfigTests, IReadOnlyList<string> Reloads);

/// <summary>Progress of a deployment, reported as it happens.</summary>
public interface IDeployObserver
{
    void HostStarted(string host, string target) { }

    void Step(string host, string message) { }

    void HostFinished(HostDeployResult result) { }

    void Planned(HostPlan plan) { }
}

/// <summary>An observer that ignores everything.</summary>
public sealed class NullDeployObserver : IDeployObserver
{
    public static readonly NullDeployObserver Instance = new();
}

/// <summary>The outcome of one deployment run of one certificate.</summary>
public sealed record DeployReport(string Certificate, string Serial, IReadOnlyList<HostDeployResult> Hosts, bool StoppedByCanary)
{
    public bool AllSucceeded => Hosts.All(h => h.Succeeded);

    public bool NoneSucceeded => Hosts.Count > 0 && Hosts.All(h => !h.Succeeded);
}
