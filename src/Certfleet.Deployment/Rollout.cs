using Certfleet.Remote;

namespace Certfleet.Deployment;

/// <summary>A host and the target that sends the certificate to it.</summary>
public sealed record DeployAssignment(SshHost Host, DeployTarget Target);

/// <summary>Orders a rollout: the canaries alone first, then batches.</summary>
public static class RolloutPlanner
{
    /// <summary>
    /// Batches in order: the first holds the <see cref="RolloutOptions.Canary"/> canaries (none when 0), then
    /// batches of <see cref="RolloutOptions.Batch"/> in the given host order.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<T>> Plan<T>(IReadOnlyList<T> hosts, RolloutOptions options)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        ArgumentNullException.ThrowIfNull(options);
        var batches = new List<IReadOnlyList<T>>();
        var canary = Math.Min(Math.Max(0, options.Canary), hosts.Count);
        if (canary > 0)
        {
            batches.Add(hosts.Take(canary).ToList());
        }

        var size = Math.Max(1, options.Batch);
        for (var i = canary; i < hosts.Count; i += size)
        {
            batches.Add(hosts.Skip(i).Take(size).ToList());
        }

        return batches;
    }
}

/// <summary>
/// Runs a rollout: the canary batch, then each batch with at most <see cref="RolloutOptions.Parallelism"/> hosts at a
/// time. A canary that fails stops the rollout (the remaining hosts are <see cref="HostOutcome.Skipped"/>).
/// </summary>
public sealed class RolloutRunner(RolloutOptions options)
{
    public async Task<(IReadOnlyList<HostDeployResult> Results, bool StoppedByCanary)> RunAsync(
        IReadOnlyList<DeployAssignment> assignments,
        Func<DeployAssignment, CancellationToken, Task<HostDeployResult>> deploy,
        Func<IReadOnlyList<HostDeployResult>, CancellationToken, Task>? canaryFailed,
        string serial,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(assignments);
        ArgumentNullException.ThrowIfNull(deploy);
        var results = new List<HostDeployResult>();
        var batches = RolloutPlanner.Plan(assignments, options);
        for (var b = 0; b < batches.Count; b++)
        {
            var batch = batches[b];
            var batchResults = new HostDeployResult[batch.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, batch.Count),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism), CancellationToken = cancellationToken },
                async (i, ct) => batchResults[i] = await deploy(batch[i], ct));
            results.AddRange(batchResults);
            var isCanary = b == 0 && options.Canary > 0;
            if (isCanary && batchResults.Any(r => !r.Succeeded))
            {
                if (canaryFailed is not null)
                {
                    await canaryFailed(batchResults, cancellationToken);
                }

                foreach (var rest in batches.Skip(1).SelectMany(x => x))
                {
                    results.Add(new HostDeployResult(rest.Host.Name, rest.Target.Name, rest.Target.Method, serial, HostOutcome.Skipped,
                        "not attempted: the canary failed", [], []));
                }

                return (results, true);
            }
        }

        return (results, false);
    }
}
