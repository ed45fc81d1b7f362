namespace Certfleet.Store;

/// <summary>What a history entry records.</summary>
public enum HistoryKind
{
    /// <summary>A renewal decision: due or not, and why.</summary>
    Decision,
    /// <summary>A new ACME order was created (counts against the CA's order limit).</summary>
    Order,
    /// <summary>A certificate was issued and stored.</summary>
    Issued,
    /// <summary>An attempt failed.</summary>
    Failed,
    /// <summary>An authorization for one name failed validation (counts against the CA's per-name failure limit).</summary>
    AuthorizationFailed,
    /// <summary>A certificate was deployed to hosts.</summary>
    Deployed,
    /// <summary>A notification was sent (or could not be).</summary>
    Notified,
}

/// <summary>One row of the run history.</summary>
/// <param name="At">When it happened (UTC).</param>
/// <param name="Certificate">Lineage name; empty for run-wide entries.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Outcome">Short result word, e.g. <c>ok</c>, <c>due</c>, <c>not-due</c>, <c>error</c>.</param>
/// <param name="Message">Human-readable detail or error (never key material).</param>
public sealed record HistoryEntry(DateTimeOffset At, string Certificate, HistoryKind Kind, string Outcome, string? Message = null)
{
    /// <summary>Row id, set by the store.</summary>
    public long Id { get; init; }
    /// <summary>Identifiers involved (order and issuance entries), lower-case A-labels.</summary>
    public IReadOnlyList<string> Names { get; init; } = [];
    /// <summary>ACME account URL (order entries).</summary>
    public string? Account { get; init; }
    /// <summary>Whether the order was an ARI renewal carrying <c>replaces</c> (exempt from Let's Encrypt's limits).</summary>
    public bool Ari { get; init; }
    /// <summary>Serial of the issued certificate (issuance entries).</summary>
    public string? Serial { get; init; }
}

/// <summary>Which rows <see cref="HistoryStore.QueryAsync"/> returns, newest first.</summary>
public sealed record HistoryQuery
{
    public string? Certificate { get; init; }
    public IReadOnlyList<HistoryKind>? Kinds { get; init; }
    public DateTimeOffset? Since { get; init; }
    public int Limit { get; init; } = 1000;
}
