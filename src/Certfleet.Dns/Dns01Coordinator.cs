using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Certfleet.Dns;

/// <summary>What a cleanup or sweep removed, and what it had to leave for a later run.</summary>
public sealed record DnsCleanupResult(int Removed, IReadOnlyList<RecordJournalEntry> Left, IReadOnlyList<string> Errors)
{
    public bool IsComplete => Left.Count == 0;
}

/// <summary>
/// Publishes DNS-01 records for an order and removes them afterwards. Every record is written to the
/// <see cref="IRecordJournal"/> before it is added, so records of a killed run are found by
/// <see cref="SweepAsync"/> on the next one.
/// </summary>
public sealed class Dns01Coordinator
{
    private readonly IReadOnlyDictionary<string, IDnsProvider> _providers;
    private readonly IRecordJournal _journal;
    private readonly PropagationChecker _checker;
    private readonly DnsOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public Dns01Coordinator(
        IReadOnlyDictionary<string, IDnsProvider> providers,
        IRecordJournal journal,
        PropagationChecker checker,
        DnsOptions options,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null)
    {
        _providers = providers;
        _journal = journal;
        _checker = checker;
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<Dns01Coordinator>();
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// Adds every challenge's TXT value (two values at one name coexist), publishes them per provider
    /// and waits until every authoritative nameserver serves every value. On success the caller answers
    /// the ACME challenges and then disposes the session, which removes the records. On failure or
    /// cancellation the records already added are removed before the exception propagates.
    /// </summary>
    /// <exception cref="DnsProviderException">A provider failed, or a challenge names an unknown provider.</exception>
    /// <exception cref="DnsPropagationException">Some nameserver did not serve some value within the timeout.</exception>
    public async Task<Dns01Session> PublishAsync(IReadOnlyList<Dns01Challenge> challenges, IProgress<PropagationProgress>? progress, CancellationToken cancellationToken)
    {
        foreach (var unknown in challenges.Select(c => c.Provider).Distinct(StringComparer.Ordinal).Where(p => !_providers.ContainsKey(p)))
        {
            throw new DnsProviderException($"no DNS provider named '{unknown}' is configured; known: {string.Join(", ", _providers.Keys.Order(StringComparer.Ordinal))}");
        }

        var records = challenges
            .Select(c => (c.Provider, Fqdn: c.RecordName, c.Value))
            .Distinct()
            .ToList();

        var session = new Dns01Session(_journal, _providers, _options.CleanupTimeout, _logger);
        try
        {
            foreach (var (providerName, fqdn, value) in records)
            {
                var provider = _providers[providerName];
                var entry = new RecordJournalEntry(Guid.NewGuid().ToString("N"), providerName, fqdn, value, _time.GetUtcNow());
                await _journal.SaveAsync(entry, cancellationToken).ConfigureAwait(false);
                session.Track(entry);
                Log.Adding(_logger, providerName, fqdn, value);
                DnsRecordHandle handle;
                try
                {
                    handle = await provider.AddTxtRecordAsync(fqdn, value, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IDnsRequestRefusal { NothingChanged: true })
                {
                    // Refused outright: there is no record to remove, so the intent is dropped.
                    session.Untrack(entry);
                    await _journal.RemoveAsync(entry.Id, CancellationToken.None).ConfigureAwait(false);
                    throw;
                }

                var saved = entry with { HandleJson = DnsRecordHandleJson.Serialize(handle) };
                session.Track(saved, handle);
                await _journal.SaveAsync(saved, cancellationToken).ConfigureAwait(false);
            }

            foreach (var group in session.Records.GroupBy(h => h.Provider, StringComparer.Ordinal))
            {
                await _providers[group.Key].PublishAsync(group.ToList(), cancellationToken).ConfigureAwait(false);
            }

            var requests = new List<PropagationRequest>();
            foreach (var group in session.Records.GroupBy(h => (h.Provider, h.Zone, h.Fqdn)))
            {
                var nameservers = await _providers[group.Key.Provider].GetAuthoritativeNameserversAsync(group.Key.Zone, cancellationToken).ConfigureAwait(false);
                requests.Add(new PropagationRequest(group.Key.Zone, group.Key.Fqdn, group.Select(h => h.Value).ToList(), nameservers));
            }

            var results = await Task.WhenAll(requests.Select(r => _checker.WaitAsync(r, progress, cancellationToken))).ConfigureAwait(false);
            session.Propagation = results;
            if (results.Any(r => !r.IsComplete))
            {
                throw new DnsPropagationException(results);
            }

            Log.Published(_logger, session.Records.Count, results.Length);
            return session;
        }
        catch
        {
            await session.CleanupAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Removes the records listed in the journal by earlier runs that did not clean up (killed,
    /// crashed), each through the provider named in its entry. Call it before a new order, never while
    /// another run's session is open.
    /// </summary>
    public async Task<DnsCleanupResult> SweepAsync(CancellationToken cancellationToken)
    {
        var entries = await _journal.ListAsync(cancellationToken).ConfigureAwait(false);
        if (entries.Count == 0)
        {
            return new DnsCleanupResult(0, [], []);
        }

        Log.Sweeping(_logger, entries.Count);
        return await RemoveAsync(_journal, _providers, entries, _logger, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<DnsCleanupResult> RemoveAsync(
        IRecordJournal journal,
        IReadOnlyDictionary<string, IDnsProvider> providers,
        IReadOnlyList<RecordJournalEntry> entries,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        var removed = 0;
        var left = new List<RecordJournalEntry>();
        var errors = new List<string>();
        foreach (var group in entries.GroupBy(e => e.Provider, StringComparer.Ordinal))
        {
            if (!providers.TryGetValue(group.Key, out var provider))
            {
                var message = $"dns: {group.Count()} record(s) were created through provider '{group.Key}', which is no longer configured; remove them by hand ({string.Join(", ", group.Select(e => e.Fqdn).Distinct())})";
                Log.CleanupFailed(logger, group.Key, message);
                errors.Add(message);
                left.AddRange(group);
                continue;
            }

            List<DnsRecordHandle> handles;
            try
            {
                handles = group.Select(e => e.ToHandle()).ToList();
            }
            catch (System.Text.Json.JsonException)
            {
                handles = group.Select(e => (e with { HandleJson = null }).ToHandle()).ToList();
            }

            try
            {
                foreach (var h in handles)
                {
                    Log.Removing(logger, group.Key, h.Fqdn, h.Value);
                }

                await provider.RemoveTxtRecordsAsync(handles, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is DnsProviderException or OperationCanceledException or TimeoutException or HttpRequestException)
            {
                var message = e is OperationCanceledException
                    ? $"dns: removing {group.Count()} record(s) through '{group.Key}' took too long; they stay in the journal and the next run removes them"
                    : $"{e.Message} (the records stay in the journal and the next run removes them)";
                Log.CleanupFailed(logger, group.Key, message);
                errors.Add(message);
                left.AddRange(group);
                continue;
            }

            foreach (var entry in group)
            {
                await journal.RemoveAsync(entry.Id, cancellationToken).ConfigureAwait(false);
                removed++;
            }
        }

        return new DnsCleanupResult(removed, left, errors);
    }
}

/// <summary>
/// The records of one order. Dispose it (or call <see cref="CleanupAsync"/>) once the ACME challenges
/// are answered: it removes exactly the records it created, then their journal entries.
/// </summary>
public sealed class Dns01Session : IAsyncDisposable
{
    private readonly IRecordJournal _journal;
    private readonly IReadOnlyDictionary<string, IDnsProvider> _providers;
    private readonly TimeSpan _cleanupTimeout;
    private readonly ILogger _logger;
    private readonly List<(RecordJournalEntry Entry, DnsRecordHandle? Handle)> _tracked = [];
    private readonly Lock _lock = new();
    private Task<DnsCleanupResult>? _cleanup;

    internal Dns01Session(IRecordJournal journal, IReadOnlyDictionary<string, IDnsProvider> providers, TimeSpan cleanupTimeout, ILogger logger)
    {
        _journal = journal;
        _providers = providers;
        _cleanupTimeout = cleanupTimeout;
        _logger = logger;
    }

    /// <summary>The records added, as the providers returned them.</summary>
    public IReadOnlyList<DnsRecordHandle> Records
    {
        get
        {
            lock (_lock)
            {
                return _tracked.Where(t => t.Handle is not null).Select(t => t.Handle!).ToList();
            }
        }
    }

    /// <summary>The propagation result of each record name.</summary>
    public IReadOnlyList<PropagationResult> Propagation { get; internal set; } = [];

    /// <summary>
    /// Removes the records and then their journal entries. Runs once (later calls return the first
    /// result) and is bounded by its own timeout rather than the caller's token, so that it still runs
    /// when the order was cancelled. Records it could not remove stay in the journal for the next sweep.
    /// </summary>
    public Task<DnsCleanupResult> CleanupAsync()
    {
        lock (_lock)
        {
            return _cleanup ??= RunCleanupAsync();
        }
    }

    public async ValueTask DisposeAsync() => await CleanupAsync().ConfigureAwait(false);

    internal void Untrack(RecordJournalEntry entry)
    {
        lock (_lock)
        {
            _tracked.RemoveAll(t => t.Entry.Id == entry.Id);
        }
    }

    internal void Track(RecordJournalEntry entry, DnsRecordHandle? handle = null)
    {
        lock (_lock)
        {
            _tracked.RemoveAll(t => t.Entry.Id == entry.Id);
            _tracked.Add((entry, handle));
        }
    }

    private async Task<DnsCleanupResult> RunCleanupAsync()
    {
        List<RecordJournalEntry> entries;
        lock (_lock)
        {
            // An entry without handle: the add may have reached the provider before failing; remove by name and value.
            entries = _tracked.Select(t => t.Handle is null ? t.Entry : t.Entry with { HandleJson = DnsRecordHandleJson.Serialize(t.Handle) }).ToList();
        }

        if (entries.Count == 0)
        {
            return new DnsCleanupResult(0, [], []);
        }

        using var timeout = new CancellationTokenSource(_cleanupTimeout);
        try
        {
            var result = await Dns01Coordinator.RemoveAsync(_journal, _providers, entries, _logger, timeout.Token).ConfigureAwait(false);
            Log.CleanedUp(_logger, result.Removed, result.Left.Count);
            return result;
        }
        catch (OperationCanceledException)
        {
            var message = "dns: removing the challenge records took too long; the next run removes them";
            Log.CleanupFailed(_logger, "*", message);
            return new DnsCleanupResult(0, entries, [message]);
        }
    }
}
