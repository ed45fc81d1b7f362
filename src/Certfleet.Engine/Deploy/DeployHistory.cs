using Certfleet.Deployment;
using Certfleet.Store;

namespace Certfleet.Engine.Deploy;

/// <summary>Records each host's deployment in the run history (kind Deployed): host, version, outcome, served serial.</summary>
public sealed class HistoryDeployRecorder(HistoryStore history) : IDeployHistory
{
    public async Task RecordAsync(string certificate, HostDeployResult result, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        var served = string.Join(",", result.Endpoints.Select(e => $"{e.Port}={e.ServedSerial ?? "none"}"));
        var message = $"host {result.Host} ({result.Method.ToString().ToLowerInvariant()}): version {result.Serial} {result.Outcome}; served {(served.Length == 0 ? "-" : served)}; {result.Message}";
        await history.AddAsync(new HistoryEntry(at, certificate, HistoryKind.Deployed, result.Outcome.ToString().ToLowerInvariant(), message) { Serial = result.Serial }, cancellationToken);
    }
}

/// <summary>The renewal's post-issue step: deploy each new certificate to its targets (hosts that missed it are completed too).</summary>
public sealed class DeployPostIssueAction(CertfleetRuntime runtime, IDeployHistory? history = null) : Renewal.IPostIssueAction
{
    public string Name => "deploy";

    public async Task<Renewal.PostIssueResult> RunAsync(CertificateSettings certificate, IssueResult issued, IIssueObserver observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (certificate.Deploy.Count == 0)
        {
            return new Renewal.PostIssueResult(true, "no deploy: targets");
        }

        var report = await new DeployWorkflow(runtime, history).DeployAsync(certificate.Name, [], null, cancellationToken);
        var ok = report.Hosts.Count(h => h.Succeeded);
        var failed = report.Hosts.Where(h => !h.Succeeded).Select(h => $"{h.Host} ({h.Outcome})").ToList();
        return new Renewal.PostIssueResult(failed.Count == 0,
            failed.Count == 0 ? $"deployed to {ok} host(s)" : $"deployed to {ok} of {report.Hosts.Count} host(s); failed: {string.Join(", ", failed)}");
    }
}
