namespace Certfleet.Engine;

public sealed record CertificateStatus(
    string Name,
    IReadOnlyList<string> Domains,
    string? Serial,
    DateTimeOffset? NotBefore,
    DateTimeOffset? NotAfter,
    string KeyType,
    DateTimeOffset? RenewAfter,
    int? Version,
    string? FullChainPath,
    string? PrivateKeyPath,
    string? LastError,
    int FailureCount,
    DateTimeOffset? BackoffUntil)
{
    /// <summary>When renewal is next due or attempted (ARI window from the last run, else the lifetime policy, or the back-off end).</summary>
    public DateTimeOffset? NextCheck { get; init; }

    /// <summary>Why, as the renewal planner says it.</summary>
    public string? Reason { get; init; }

    /// <summary>Whether the planner would renew now.</summary>
    public bool Due { get; init; }

    /// <summary>The last attempt's result, e.g. "renewed 2025-05-01 12:00 UTC" or "failed 2025-05-01 12:00 UTC".</summary>
    public string? LastResult { get; init; }

    /// <summary>Set when the check interval is too long for this certificate's lifetime.</summary>
    public string? Warning { get; init; }
}

/// <summary>What the store holds for each configured certificate. Reads only; never creates files.</summary>
public sealed class StatusService(CertfleetRuntime runtime)
{
    public async Task<IReadOnlyList<CertificateStatus>> GetAsync(CancellationToken cancellationToken)
    {
        var certificates = runtime.Settings.Certificates;
        var now = runtime.Time.GetUtcNow();
        var result = new List<CertificateStatus>(certificates.Count);
        // Read in bulk (several lineages at a time, facts from meta.json), a chunk at a time so that only the
        // statuses, not every stored certificate, stay in memory.
        foreach (var chunk in certificates.Chunk(Renewal.RenewWorkflow.ReadChunk))
        {
            var snapshots = await runtime.Store.ReadLineagesAsync([.. chunk.Select(c => c.Name)], cancellationToken);
            for (var i = 0; i < chunk.Length; i++)
            {
                result.Add(Describe(chunk[i], snapshots[i].Current, snapshots[i].State, now));
            }
        }

        return result;
    }

    private CertificateStatus Describe(CertificateSettings c, Certfleet.Store.StoredCertificate? current, Certfleet.Store.LineageState? state, DateTimeOffset now)
    {
        var decision = Renewal.RenewalPlanner.Decide(c, current, state, Renewal.RenewWorkflow.CachedAri(state), now);
        return new CertificateStatus(
            c.Name,
            c.Domains,
            current?.SerialNumber,
            current?.NotBefore,
            current?.NotAfter,
            current?.KeyType ?? c.KeyType,
            current is null ? null : RenewalPolicy.DefaultRenewAfter(current.NotBefore, current.NotAfter),
            current?.Version,
            current?.LiveFiles.FullChain,
            current?.LiveFiles.PrivateKey,
            state?.LastError,
            state?.FailureCount ?? 0,
            state?.BackoffUntil)
        {
            NextCheck = decision.RenewAt,
            Reason = decision.Reason,
            Due = decision.Due,
            LastResult = state is null ? null
                : state.FailureCount > 0 && state.LastAttemptAt is { } failed ? $"failed {failed.UtcDateTime:yyyy-MM-dd HH:mm} UTC"
                : state.LastSuccessAt is { } ok ? $"renewed {ok.UtcDateTime:yyyy-MM-dd HH:mm} UTC" : null,
            Warning = current is not null && Renewal.RenewalPlanner.ChecksTooRare(current.NotBefore, current.NotAfter, runtime.Settings.Renewal.CheckInterval)
                ? Renewal.RenewWorkflow.TooRareWarning(c.Name, current, runtime.Settings.Renewal.CheckInterval) : null,
        };
    }
}
