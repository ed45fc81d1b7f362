using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Certfleet.Acme;
using Certfleet.Notifications;
using Certfleet.Store;
using Microsoft.Extensions.Logging;

namespace Certfleet.Engine.Renewal;

/// <summary>What happened to one certificate in a renewal run.</summary>
public enum RenewStatus
{
    NotDue,
    BackedOff,
    Renewed,
    Failed,
    /// <summary>Due, but <c>--dry-run</c>: nothing was done.</summary>
    WouldRenew,
}

/// <summary>The outcome of one certificate in a run.</summary>
public sealed record RenewOutcome(string Name, RenewalDecision Decision, RenewStatus Status, string Message)
{
    public IssueResult? Issued { get; init; }
    public string? Error { get; init; }
    public DateTimeOffset? BackoffUntil { get; init; }
}

/// <summary>The outcome of a run: each certificate, and warnings (e.g. checks too rare for a lifetime).</summary>
public sealed record RenewRunResult(IReadOnlyList<RenewOutcome> Certificates, IReadOnlyList<string> Warnings)
{
    public int Failed => Certificates.Count(c => c.Status == RenewStatus.Failed);

    public int Renewed => Certificates.Count(c => c.Status == RenewStatus.Renewed);
}

/// <summary>Which certificates a run looks at and how.</summary>
/// <param name="Names">Certificates to consider; null for all configured.</param>
/// <param name="Force">Certificates to renew whether or not they are due (and despite back-off).</param>
/// <param name="DryRun">Decide and print only: no lock, no order, no state written.</param>
public sealed record RenewOptions(IReadOnlyCollection<string>? Names = null, IReadOnlyCollection<string>? Force = null, bool DryRun = false);

/// <summary>
/// A renewal run: takes the run lock, removes records left by a killed run, and for each configured
/// certificate decides (ARI or lifetime), checks CAA and rate limits, issues with <c>replaces</c>,
/// runs the post-issue actions, records history and state, and notifies. One certificate's failure
/// is recorded, backed off and notified, and never stops the others.
/// </summary>
public sealed partial class RenewWorkflow
{
    private readonly CertfleetRuntime _runtime;
    private readonly IReadOnlyList<IPostIssueAction> _postIssue;
    private readonly Notifier? _notifier;
    private readonly ICaaResolver _caa;
    private readonly HistoryStore _history;
    private readonly ILogger _logger;

    public RenewWorkflow(CertfleetRuntime runtime, IEnumerable<IPostIssueAction>? postIssue = null, Notifier? notifier = null, ICaaResolver? caaResolver = null, HistoryStore? history = null)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _runtime = runtime;
        _postIssue = postIssue?.ToList() ?? [];
        _notifier = notifier;
        _history = history ?? CreateHistory(runtime);
        _caa = caaResolver ?? CreateCaaResolver(runtime.Settings.Renewal.Caa);
        _logger = runtime.LoggerFactory.CreateLogger<RenewWorkflow>();
    }

    public HistoryStore History => _history;

    public static HistoryStore CreateHistory(CertfleetRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        return new HistoryStore(runtime.Settings.StateDir, runtime.Settings.History.Retention, runtime.Time, runtime.LoggerFactory.CreateLogger<HistoryStore>());
    }

    /// <summary>A notifier for the configured channels; null when none is configured.</summary>
    public static Notifier? CreateNotifier(CertfleetRuntime runtime, HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var channels = Notifier.CreateChannels(runtime.Settings.Notifications, http);
        return channels.Count == 0 ? null : new Notifier(channels, runtime.LoggerFactory.CreateLogger<Notifier>());
    }

    private static DnsClientCaaResolver CreateCaaResolver(CaaSettings caa)
    {
        var servers = caa.Nameservers
            .Select(s => IPAddress.TryParse(s.Host, out var a) ? new IPEndPoint(a, s.Port) : null)
            .OfType<IPEndPoint>()
            .ToList();
        return new DnsClientCaaResolver(servers, TimeSpan.FromSeconds(5));
    }

    public async Task<RenewRunResult> RunAsync(RenewOptions options, IIssueObserver observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(observer);
        var certificates = Select(options);
        if (options.DryRun)
        {
            return await RunCoreAsync(certificates, options, observer, cancellationToken);
        }

        var result = await RunLock.TryAcquireAsync(_runtime.Settings.StateDir, _runtime.Time, cancellationToken);
        await using var held = result.Lock ?? throw new RunLockHeldException($"certfleet: {result.Describe()}; wait for it to finish");
        await new IssueWorkflow(_runtime, _history).SweepAsync(observer, cancellationToken);
        return await RunCoreAsync(certificates, options, observer, cancellationToken);
    }

    private List<CertificateSettings> Select(RenewOptions options)
    {
        // Sets, not lists: `renew` may name thousands of certificates.
        var all = _runtime.Settings.Certificates;
        var configured = all.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = (options.Names ?? []).Concat(options.Force ?? []).FirstOrDefault(n => !configured.Contains(n));
        if (unknown is not null)
        {
            throw new UsageException($"certfleet: no certificate '{unknown}' in {_runtime.Settings.File}; configured: {string.Join(", ", all.Select(c => c.Name))}");
        }

        if (options.Names is not { Count: > 0 })
        {
            return [.. all];
        }

        var selected = options.Names.ToHashSet(StringComparer.Ordinal);
        return [.. all.Where(c => selected.Contains(c.Name))];
    }

    private async Task<RenewRunResult> RunCoreAsync(List<CertificateSettings> certificates, RenewOptions options, IIssueObserver observer, CancellationToken cancellationToken)
    {
        var context = await AcmeContext.CreateAsync(_runtime, _logger, cancellationToken);
        var outcomes = new List<RenewOutcome>(certificates.Count);
        var warnings = new List<string>();
        var forced = new HashSet<string>(options.Force ?? [], StringComparer.Ordinal);
        // Lineages are read a chunk ahead, several at a time: the run lock (or a dry run's read-only nature) means only
        // this run changes them, and it changes each one only while it handles it.
        foreach (var chunk in certificates.Chunk(ReadChunk))
        {
            var snapshots = await _runtime.Store.ReadLineagesAsync([.. chunk.Select(c => c.Name)], cancellationToken);
            for (var i = 0; i < chunk.Length; i++)
            {
                outcomes.Add(await RenewOneAsync(chunk[i], snapshots[i], context, forced.Contains(chunk[i].Name), options.DryRun, observer, warnings, cancellationToken));
            }
        }

        return new RenewRunResult(outcomes, warnings);
    }

    private async Task<RenewOutcome> RenewOneAsync(CertificateSettings certificate, LineageSnapshot snapshot, AcmeContext acme, bool force, bool dryRun, IIssueObserver observer, List<string> warnings, CancellationToken cancellationToken)
    {
        var name = certificate.Name;
        var (current, state) = (snapshot.Current, snapshot.State);
        var now = _runtime.Time.GetUtcNow();
        var cachedAri = ReadExtension(state, AriKey, RenewalJson.Default.AriWindow);
        var ari = await acme.RenewalWindowAsync(current, cachedAri, now, cancellationToken);
        if (current is not null && RenewalPlanner.ChecksTooRare(current.NotBefore, current.NotAfter, _runtime.Settings.Renewal.CheckInterval))
        {
            warnings.Add(TooRareWarning(name, current, _runtime.Settings.Renewal.CheckInterval));
        }

        var decision = RenewalPlanner.Decide(certificate, current, state, ari, now, force);
        if (dryRun)
        {
            return new RenewOutcome(name, decision, decision.Due ? RenewStatus.WouldRenew : decision.BackedOff ? RenewStatus.BackedOff : RenewStatus.NotDue, decision.Reason);
        }

        await _history.AddAsync(new HistoryEntry(now, name, HistoryKind.Decision, decision.Due ? "due" : decision.BackedOff ? "backed-off" : "not-due", decision.Reason), cancellationToken);
        if (!decision.Due)
        {
            if (ari is not null && ari != cachedAri)
            {
                state = WithExtension(state ?? new LineageState { Name = name }, AriKey, ari, RenewalJson.Default.AriWindow);
                await _runtime.Store.WriteStateAsync(state, cancellationToken);
            }

            await WarnExpiryAsync(certificate, current, state, cancellationToken);
            return new RenewOutcome(name, decision, decision.BackedOff ? RenewStatus.BackedOff : RenewStatus.NotDue, decision.Reason) { BackoffUntil = state?.BackoffUntil };
        }

        observer.Step(name, $"due: {decision.Reason}");
        state = (state ?? new LineageState { Name = name }) with { LastAttemptAt = now };
        if (ari is not null)
        {
            state = WithExtension(state, AriKey, ari, RenewalJson.Default.AriWindow);
        }

        await _runtime.Store.WriteStateAsync(state, cancellationToken);
        DateTimeOffset? retryAt = null;
        try
        {
            var ariRenewal = decision.Replaces is not null && acme.OffersRenewalInfo;
            var preflight = await PreflightAsync(certificate, acme, ariRenewal, observer, cancellationToken);
            if (preflight is { } refusal)
            {
                retryAt = refusal.RetryAt;
                throw new PreflightRefusedException(refusal.Message);
            }

            var issued = await new IssueWorkflow(_runtime, _history).IssueAsync(certificate, observer, decision.Replaces, cancellationToken);
            foreach (var action in _postIssue)
            {
                var r = await action.RunAsync(certificate, issued, observer, cancellationToken);
                observer.Detail(name, $"{action.Name}: {r.Summary}");
                if (!r.Succeeded)
                {
                    throw new CertfleetException($"{action.Name}: {r.Summary}");
                }
            }

            var recovered = state.FailureCount > 0;
            var done = _runtime.Time.GetUtcNow();
            state = RemoveExtension(RemoveExtension(state, AriKey), ExpiryWarningKey) with
            {
                LastSuccessAt = done,
                FailureCount = 0,
                BackoffUntil = null,
                LastError = null,
            };
            await _runtime.Store.WriteStateAsync(state, cancellationToken);
            if (recovered)
            {
                await NotifyAsync(new Notification(NotificationEvent.Recovered, name, $"{name} was renewed after {state.FailureCount} failed attempt(s).", done)
                {
                    Domains = certificate.Domains,
                    NotAfter = issued.Certificate.NotAfter,
                }, cancellationToken);
            }

            return new RenewOutcome(name, decision, RenewStatus.Renewed, $"renewed: serial {issued.Certificate.SerialNumber}, valid until {issued.Certificate.NotAfter.UtcDateTime:yyyy-MM-dd HH:mm} UTC") { Issued = issued };
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var message = Describe(e);
            var failures = state.FailureCount + 1;
            var failedAt = _runtime.Time.GetUtcNow();
            var backoffUntil = failedAt + _runtime.Settings.Renewal.BackoffAfter(failures);
            if (retryAt is { } r && r > backoffUntil)
            {
                backoffUntil = r;
            }

            state = state with { FailureCount = failures, BackoffUntil = backoffUntil, LastError = message };
            await _runtime.Store.WriteStateAsync(state, CancellationToken.None);
            await _history.AddAsync(new HistoryEntry(failedAt, name, HistoryKind.Failed, "error", message) { Names = certificate.Domains }, CancellationToken.None);
            LogFailed(_logger, name, failures, backoffUntil, message);
            observer.Step(name, $"failed: {message}");
            await NotifyAsync(new Notification(NotificationEvent.Failure, name, $"Renewal of {name} failed ({failures} consecutive failure(s)).", failedAt)
            {
                Domains = certificate.Domains,
                NotAfter = current?.NotAfter,
                Error = message,
                FailureCount = failures,
                NextAttempt = backoffUntil,
            }, CancellationToken.None);
            await WarnExpiryAsync(certificate, current, state, CancellationToken.None);
            return new RenewOutcome(name, decision, RenewStatus.Failed, message) { Error = message, BackoffUntil = backoffUntil };
        }
    }

    private async Task<(string Message, DateTimeOffset? RetryAt)?> PreflightAsync(CertificateSettings certificate, AcmeContext acme, bool ariRenewal, IIssueObserver observer, CancellationToken cancellationToken)
    {
        var settings = _runtime.Settings.Renewal;
        if (settings.Caa.Enabled)
        {
            var identities = settings.Caa.Identities ?? acme.CaaIdentities;
            var verdicts = await new CaaPreflight(_caa).CheckAsync(certificate.Domains, identities, acme.AccountUrl, cancellationToken);
            foreach (var v in verdicts)
            {
                observer.Detail(certificate.Name, $"CAA {v.Name}: {v.Reason}");
            }

            var refused = verdicts.Where(v => !v.Allowed).ToList();
            if (refused.Count > 0)
            {
                return ("caa: " + string.Join("; ", refused.Select(v => $"{v.Name}: {v.Reason}")), null);
            }
        }

        var guard = new RateLimitGuard(settings.RateLimits, _history);
        var verdict = await guard.CheckAsync(certificate.Domains, acme.AccountUrl, ariRenewal, _runtime.Time.GetUtcNow(), cancellationToken);
        observer.Detail(certificate.Name, verdict.Reason);
        return verdict.Allowed ? null : ($"{verdict.Reason}; certfleet did not order, to stay below the CA's limit", verdict.RetryAt);
    }

    private async Task WarnExpiryAsync(CertificateSettings certificate, StoredCertificate? current, LineageState? state, CancellationToken cancellationToken)
    {
        if (current is null || _notifier is null)
        {
            return;
        }

        var now = _runtime.Time.GetUtcNow();
        var lifetime = current.NotAfter - current.NotBefore;
        var threshold = TimeSpan.FromDays(_runtime.Settings.Renewal.WarnDays);
        if (lifetime / 4 < threshold)
        {
            threshold = lifetime / 4;
        }

        if (current.NotAfter - now > threshold)
        {
            return;
        }

        // At most one warning a day per certificate.
        var last = ReadExtension(state, ExpiryWarningKey, RenewalJson.Default.DateTimeOffset);
        if (last != default && now - last < TimeSpan.FromDays(1))
        {
            return;
        }

        var left = current.NotAfter - now;
        await NotifyAsync(new Notification(NotificationEvent.ExpiryWarning, certificate.Name,
            left > TimeSpan.Zero ? $"{certificate.Name} expires in {left.TotalHours:0} hours and has not been renewed." : $"{certificate.Name} has expired and has not been renewed.", now)
        {
            Domains = certificate.Domains,
            NotAfter = current.NotAfter,
            Error = state?.LastError,
            FailureCount = state?.FailureCount ?? 0,
            NextAttempt = state?.BackoffUntil,
        }, cancellationToken);
        var updated = WithExtension(state ?? new LineageState { Name = certificate.Name }, ExpiryWarningKey, now, RenewalJson.Default.DateTimeOffset);
        await _runtime.Store.WriteStateAsync(updated, cancellationToken);
    }

    private async Task NotifyAsync(Notification notification, CancellationToken cancellationToken)
    {
        if (_notifier is null)
        {
            return;
        }

        foreach (var r in await _notifier.SendAsync(notification, cancellationToken))
        {
            await _history.AddAsync(new HistoryEntry(notification.At, notification.Certificate, HistoryKind.Notified, r.Delivered ? "ok" : "error",
                r.Delivered ? $"{notification.EventName} via {r.Channel}" : r.Error), cancellationToken);
        }
    }

    internal static string TooRareWarning(string name, StoredCertificate current, TimeSpan interval) =>
        $"{name}: its {Certfleet.Configuration.DurationParser.Format(current.NotAfter - current.NotBefore)} lifetime leaves {Certfleet.Configuration.DurationParser.Format(RenewalPlanner.RemainingAtRenewal(current.NotBefore, current.NotAfter))} to renew, fewer than three checks every {Certfleet.Configuration.DurationParser.Format(interval)}; check more often (renewal.checkInterval and the installed schedule)";

    private static string Describe(Exception e) => e switch
    {
        CertfleetException or UsageException or AcmeException or StoreException or PreflightRefusedException => e.Message,
        Certfleet.Dns.DnsProviderException or Certfleet.Dns.DnsPropagationException => e.Message,
        HttpRequestException h => $"certfleet: network error: {h.Message}; check that the server is reachable",
        OperationCanceledException => "certfleet: timed out",
        _ => e.Message.Contains(':', StringComparison.Ordinal) ? e.Message : $"certfleet: {e.GetType().Name}: {e.Message}",
    };

    /// <summary>The ARI window the last run stored for a lineage, if any.</summary>
    internal static AriWindow? CachedAri(LineageState? state) => ReadExtension(state, AriKey, RenewalJson.Default.AriWindow);

    /// <summary>How many lineages a run or a status reads ahead in one bulk read.</summary>
    internal const int ReadChunk = 512;

    internal const string AriKey = "ari";
    internal const string ExpiryWarningKey = "expiryWarningAt";

    private static T? ReadExtension<T>(LineageState? state, string key, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        if (state?.Extensions is not { } ext || !ext.TryGetValue(key, out var element))
        {
            return default;
        }

        try
        {
            return element.Deserialize(type);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static LineageState WithExtension<T>(LineageState state, string key, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        var ext = state.Extensions is null ? new Dictionary<string, JsonElement>() : new Dictionary<string, JsonElement>(state.Extensions);
        ext[key] = JsonSerializer.SerializeToElement(value, type);
        return state with { Extensions = ext };
    }

    private static LineageState RemoveExtension(LineageState state, string key)
    {
        if (state.Extensions is null || !state.Extensions.ContainsKey(key))
        {
            return state;
        }

        var ext = new Dictionary<string, JsonElement>(state.Extensions);
        ext.Remove(key);
        return state with { Extensions = ext.Count == 0 ? null : ext };
    }

    /// <summary>The CA's directory facts a run needs, fetched once; ARI windows on demand.</summary>
    private sealed class AcmeContext
    {
        private AcmeClient? _client;

        public bool OffersRenewalInfo { get; private init; }
        public IReadOnlyList<string> CaaIdentities { get; private init; } = [];
        public string? AccountUrl { get; private init; }
        private ILogger Logger { get; init; } = null!;

        public static async Task<AcmeContext> CreateAsync(CertfleetRuntime runtime, ILogger logger, CancellationToken cancellationToken)
        {
            var stored = Directory.Exists(runtime.Settings.StateDir) ? await runtime.Accounts.LoadAsync(runtime.Settings.Acme.Directory.ToString(), cancellationToken) : null;
            try
            {
                // renewalInfo is a plain GET (RFC 9773 §4.1): any key will do when there is no account yet.
                var key = stored is null ? AcmeAccountKey.Generate() : AcmeAccountKey.ImportPem(stored.PrivateKeyPem);
                var client = runtime.CreateClient(key);
                var directory = await client.GetDirectoryAsync(cancellationToken);
                var identities = directory.CaaIdentities.Count > 0
                    ? directory.CaaIdentities.Select(i => i.ToLowerInvariant()).ToList()
                    : runtime.Settings.Acme.Directory.Host.EndsWith("letsencrypt.org", StringComparison.OrdinalIgnoreCase) ? ["letsencrypt.org"] : [];
                return new AcmeContext { _client = client, OffersRenewalInfo = directory.RenewalInfo is not null, CaaIdentities = identities, AccountUrl = stored?.AccountUrl, Logger = logger };
            }
            catch (Exception e) when (e is AcmeException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Planning goes on without ARI; an issuance will report the CA's failure itself.
                LogDirectoryUnavailable(logger, e.Message);
                return new AcmeContext { AccountUrl = stored?.AccountUrl, Logger = logger };
            }
        }

        public async Task<AriWindow?> RenewalWindowAsync(StoredCertificate? current, AriWindow? cached, DateTimeOffset now, CancellationToken cancellationToken)
        {
            if (current?.Metadata.AriCertId is not { Length: > 0 } id || !OffersRenewalInfo || _client is null)
            {
                return null;
            }

            if (cached is not null && cached.CertId == id && now < cached.NextFetch)
            {
                return cached;
            }

            try
            {
                var info = await _client.GetRenewalInfoAsync(new AriCertId(id), cancellationToken);
                return info is null ? null : AriWindow.From(new AriCertId(id), info, now);
            }
            catch (Exception e) when (e is AcmeException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                LogAriUnavailable(Logger, current.Name, e.Message);
                return cached is not null && cached.CertId == id ? cached : null;
            }
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Renewal of {Certificate} failed ({Failures} in a row); next attempt after {BackoffUntil}: {Error}")]
    private static partial void LogFailed(ILogger logger, string certificate, int failures, DateTimeOffset backoffUntil, string error);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "ACME directory unavailable for planning: {Error}")]
    private static partial void LogDirectoryUnavailable(ILogger logger, string error);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Renewal information for {Certificate} unavailable: {Error}")]
    private static partial void LogAriUnavailable(ILogger logger, string certificate, string error);
}

/// <summary>Another run holds the lock (exit code 1, with who holds it).</summary>
public sealed class RunLockHeldException : CertfleetException
{
    public RunLockHeldException(string message) : base(message)
    {
    }

    public RunLockHeldException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public RunLockHeldException()
    {
    }
}

/// <summary>The CAA or rate-limit preflight refused to order.</summary>
public sealed class PreflightRefusedException : CertfleetException
{
    public PreflightRefusedException(string message) : base(message)
    {
    }

    public PreflightRefusedException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public PreflightRefusedException()
    {
    }
}

/// <summary>An authorization failed validation; <see cref="Identifier"/> is recorded against the CA's per-name limit.</summary>
public sealed class AuthorizationFailedException : CertfleetException
{
    public AuthorizationFailedException(string identifier, string message) : base(message)
    {
        Identifier = identifier;
    }

    public AuthorizationFailedException(string message) : base(message)
    {
        Identifier = "";
    }

    public AuthorizationFailedException(string message, Exception innerException) : base(message, innerException)
    {
        Identifier = "";
    }

    public AuthorizationFailedException()
    {
        Identifier = "";
    }

    public string Identifier { get; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AriWindow))]
[JsonSerializable(typeof(DateTimeOffset))]
internal sealed partial class RenewalJson : JsonSerializerContext;
