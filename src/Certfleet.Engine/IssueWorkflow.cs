using System.Security.Cryptography.X509Certificates;
using Certfleet.Acme;
using Certfleet.Dns;
using Certfleet.Store;
using Microsoft.Extensions.Logging;

namespace Certfleet.Engine;

/// <summary>The outcome of one issuance.</summary>
public sealed record IssueResult(string Name, StoredCertificate Certificate, int ChallengesPublished, int AuthorizationsReused);

/// <summary>
/// Obtains one certificate: order, DNS-01 for every pending authorization (all records published
/// together and checked on every authoritative nameserver), finalize, download, store.
/// </summary>
public sealed partial class IssueWorkflow
{
    private readonly CertfleetRuntime _runtime;
    private readonly ILogger _logger;
    private readonly HistoryStore? _history;

    public IssueWorkflow(CertfleetRuntime runtime)
        : this(runtime, null)
    {
    }

    /// <summary>With <paramref name="history"/>, orders, failed authorizations and issuances are recorded (the rate-limit guard counts them).</summary>
    public IssueWorkflow(CertfleetRuntime runtime, HistoryStore? history)
    {
        _runtime = runtime;
        _history = history;
        _logger = runtime.LoggerFactory.CreateLogger<IssueWorkflow>();
    }

    /// <summary>
    /// Removes records left by a killed run. The caller holds the run lock, so no other run's
    /// records are in the journal.
    /// </summary>
    public async Task<DnsCleanupResult> SweepAsync(IIssueObserver observer, CancellationToken cancellationToken)
    {
        var pending = await _runtime.Journal.ListAsync(cancellationToken);
        if (pending.Count == 0)
        {
            return new DnsCleanupResult(0, [], []);
        }

        observer.Step("dns", $"removing {pending.Count} challenge record(s) left by an interrupted run");
        var result = await _runtime.CreateDnsCoordinator().SweepAsync(cancellationToken);
        foreach (var error in result.Errors)
        {
            observer.Detail("dns", error);
        }

        return result;
    }

    public async Task<IssueResult> IssueAsync(CertificateSettings certificate, IIssueObserver observer, AriCertId? replaces, CancellationToken cancellationToken)
    {
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["Certificate"] = certificate.Name });
        var name = certificate.Name;
        var client = await _runtime.ConnectAsync(register: true, observer, name, cancellationToken);
        var directory = await client.GetDirectoryAsync(cancellationToken);
        var profile = certificate.Profile ?? _runtime.Settings.Acme.Profile;
        if (profile is not null && directory.Profiles.Count > 0 && !directory.Profiles.ContainsKey(profile))
        {
            throw new UsageException($"acme: the CA does not offer profile '{profile}'; offered: {string.Join(", ", directory.Profiles.Keys)}");
        }

        if (profile is not null && directory.Profiles.Count == 0)
        {
            throw new UsageException($"acme: the CA offers no certificate profiles, so profile '{profile}' cannot be requested; remove the profile setting");
        }

        observer.Step(name, $"ordering {string.Join(", ", certificate.Domains)}");
        var request = new AcmeOrderRequest(certificate.Domains.Select(AcmeIdentifier.Dns).ToList())
        {
            Profile = profile,
            Replaces = directory.RenewalInfo is null ? null : replaces,
        };
        var order = await client.CreateOrderAsync(request, cancellationToken);
        Log.OrderCreated(_logger, order.Url, order.Status);
        await RecordAsync(new HistoryEntry(_runtime.Time.GetUtcNow(), name, HistoryKind.Order, order.Status.ToString().ToLowerInvariant(), order.Url.ToString())
        {
            Names = certificate.Domains,
            Account = client.AccountUrl?.ToString(),
            Ari = request.Replaces is not null,
        }, cancellationToken);

        var authorizations = await client.GetAuthorizationsAsync(order, cancellationToken);
        var pending = authorizations.Where(a => a.RequiresChallenge).ToList();
        var reused = authorizations.Count(a => a.Status == AcmeStatus.Valid);
        var invalid = authorizations.FirstOrDefault(a => a.Status is AcmeStatus.Invalid or AcmeStatus.Deactivated or AcmeStatus.Expired or AcmeStatus.Revoked);
        if (invalid is not null)
        {
            throw new CertfleetException($"acme: authorization for {invalid.Identifier.Value} is {invalid.Status.ToString().ToLowerInvariant()}; run the command again to get a new order");
        }

        if (reused > 0)
        {
            observer.Detail(name, $"{reused} authorization(s) still valid, reused");
        }

        if (pending.Count > 0)
        {
            await ValidateAsync(client, certificate, pending, observer, cancellationToken);
        }

        order = await client.WaitForOrderAsync(order.Url, cancellationToken);
        if (order.Status != AcmeStatus.Ready && order.Status != AcmeStatus.Valid)
        {
            throw new CertfleetException($"acme: order is {order.Status.ToString().ToLowerInvariant()} after validation{(order.Error is { } err ? ": " + err : "")}");
        }

        var keyType = KeyTypes.Parse(certificate.KeyType);
        using var key = await CertificateKeyAsync(certificate, keyType, cancellationToken);
        if (order.Status == AcmeStatus.Ready)
        {
            observer.Step(name, "finalizing");
            order = await client.FinalizeAsync(order, CsrBuilder.CreateDer(certificate.Domains, key), cancellationToken);
            if (order.Status != AcmeStatus.Valid)
            {
                throw new CertfleetException($"acme: finalization failed{(order.Error is { } err ? ": " + err : $" (order {order.Status.ToString().ToLowerInvariant()})")}; check the names and run again");
            }
        }

        observer.Step(name, "downloading the certificate");
        var chain = await client.DownloadCertificateAsync(order, _runtime.Settings.Acme.PreferredChain, cancellationToken);
        var pems = chain.Certificates.Select(c => c.ExportCertificatePem() + "\n").ToList();
        var leaf = chain.Leaf;
        var bundle = new CertificateBundle(
            pems[0],
            string.Concat(pems.Skip(1)),
            string.Concat(pems),
            KeyTypes.ExportPkcs8Pem(key),
            new CertificateMetadata
            {
                Name = name,
                Domains = certificate.Domains,
                OrderUrl = order.Url.ToString(),
                AccountUrl = client.AccountUrl?.ToString(),
                DirectoryUrl = _runtime.Settings.Acme.Directory.ToString(),
                AriCertId = TryCertId(leaf),
            });
        var stored = await _runtime.Store.SaveAsync(name, bundle, cancellationToken);
        observer.Step(name, $"saved version {stored.Version}: serial {stored.SerialNumber}, valid until {stored.NotAfter:yyyy-MM-dd HH:mm} UTC");
        Log.Issued(_logger, name, stored.SerialNumber, stored.NotAfter);
        await RecordAsync(new HistoryEntry(_runtime.Time.GetUtcNow(), name, HistoryKind.Issued, "ok", $"version {stored.Version}, valid until {stored.NotAfter.UtcDateTime:yyyy-MM-dd HH:mm} UTC")
        {
            Names = certificate.Domains,
            Account = client.AccountUrl?.ToString(),
            Serial = stored.SerialNumber,
        }, cancellationToken);
        return new IssueResult(name, stored, pending.Count, reused);
    }

    private async Task ValidateAsync(AcmeClient client, CertificateSettings certificate, List<AcmeAuthorization> pending, IIssueObserver observer, CancellationToken cancellationToken)
    {
        var name = certificate.Name;
        var challenges = new List<(AcmeAuthorization Authorization, AcmeChallenge Challenge)>();
        var records = new List<Dns01Challenge>();
        foreach (var authorization in pending)
        {
            var challenge = authorization.FindChallenge("dns-01")
                ?? throw new CertfleetException($"acme: the CA offers no dns-01 challenge for {authorization.Identifier.Value}");
            if (challenge.Token is null)
            {
                throw new CertfleetException($"acme: the dns-01 challenge for {authorization.Identifier.Value} has no token");
            }

            challenges.Add((authorization, challenge));
            var identifier = authorization.Wildcard ? "*." + authorization.Identifier.Value : authorization.Identifier.Value;
            records.Add(new Dns01Challenge(DomainName.Parse(identifier), client.AccountKey.ComputeDns01TxtValue(challenge.Token), certificate.DnsProvider));
        }

        var names = records.Select(r => r.RecordName).Distinct().Count();
        observer.Step(name, $"publishing {records.Count} TXT record(s) at {names} name(s) through {certificate.DnsProvider}");
        var progress = new Progress(observer, name);
        await using var session = await _runtime.CreateDnsCoordinator().PublishAsync(records, progress, cancellationToken);
        foreach (var p in session.Propagation)
        {
            observer.Detail(name, p.Describe());
        }

        observer.Step(name, $"validating {challenges.Count} authorization(s)");
        foreach (var (_, challenge) in challenges)
        {
            await client.AnswerChallengeAsync(challenge, cancellationToken);
        }

        foreach (var (authorization, _) in challenges)
        {
            var result = await client.WaitForAuthorizationAsync(authorization.Url, cancellationToken);
            if (result.Status != AcmeStatus.Valid)
            {
                var problem = result.Challenges.FirstOrDefault(c => c.Error is not null)?.Error;
                var identifier = (authorization.Wildcard ? "*." : "") + authorization.Identifier.Value;
                await RecordAsync(new HistoryEntry(_runtime.Time.GetUtcNow(), name, HistoryKind.AuthorizationFailed, "invalid", problem?.ToString()) { Names = [identifier] }, CancellationToken.None);
                throw new Renewal.AuthorizationFailedException(identifier, $"acme: validation of {(authorization.Wildcard ? "*." : "")}{authorization.Identifier.Value} failed{(problem is null ? "" : ": " + problem)}; check that the CA can query the zone's nameservers");
            }
        }

        observer.Step(name, "removing challenge records");
        var cleanup = await session.CleanupAsync();
        if (!cleanup.IsComplete)
        {
            foreach (var error in cleanup.Errors)
            {
                observer.Detail(name, error);
            }
        }
    }

    private async Task<System.Security.Cryptography.AsymmetricAlgorithm> CertificateKeyAsync(CertificateSettings certificate, AcmeKeyType keyType, CancellationToken cancellationToken)
    {
        if (certificate.KeyReuse)
        {
            var current = await _runtime.Store.GetCurrentAsync(certificate.Name, cancellationToken);
            if (current is not null && current.KeyType == certificate.KeyType)
            {
                var bundle = await _runtime.Store.ReadBundleAsync(current, cancellationToken);
                return KeyTypes.ImportPem(bundle.PrivateKeyPem);
            }
        }

        return CsrBuilder.GenerateKey(keyType);
    }

    private async Task RecordAsync(HistoryEntry entry, CancellationToken cancellationToken)
    {
        if (_history is not null)
        {
            await _history.AddAsync(entry, cancellationToken);
        }
    }

    private static string? TryCertId(X509Certificate2 leaf)
    {
        try
        {
            return AriCertId.FromCertificate(leaf).Value;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    private sealed class Progress(IIssueObserver observer, string name) : IProgress<PropagationProgress>
    {
        public void Report(PropagationProgress value) =>
            observer.Detail(name, $"{value.RecordName}: {value.Ready} of {value.Total} nameservers serve the values ({value.Elapsed.TotalSeconds:0}s)");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Order {OrderUrl} is {Status}")]
        public static partial void OrderCreated(ILogger logger, Uri orderUrl, AcmeStatus status);

        [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Issued {Certificate}: serial {Serial}, not after {NotAfter}")]
        public static partial void Issued(ILogger logger, string certificate, string serial, DateTimeOffset notAfter);
    }
}
