using Certfleet.Acme;
using Certfleet.Dns;
using Certfleet.Store;
using Microsoft.Extensions.Logging;

namespace Certfleet.Engine;

/// <summary>What one invocation works with: the settings, the state directory and the ACME endpoint.</summary>
public sealed partial class CertfleetRuntime : IDisposable
{
    private readonly Lazy<HttpClient> _acmeHttp;
    private readonly ILogger _logger;

    public CertfleetRuntime(CertfleetSettings settings, ILoggerFactory loggerFactory, TimeProvider timeProvider, Func<HttpMessageHandler>? acmeHandlerFactory = null)
    {
        Settings = settings;
        LoggerFactory = loggerFactory;
        Time = timeProvider;
        _logger = loggerFactory.CreateLogger("Certfleet.Engine");
        Store = new CertificateStore(settings.StateDir, timeProvider, loggerFactory.CreateLogger<CertificateStore>());
        Accounts = new AccountStore(settings.StateDir, timeProvider, loggerFactory.CreateLogger<AccountStore>());
        Journal = new PendingRecordJournal(settings.StateDir, timeProvider, loggerFactory.CreateLogger<PendingRecordJournal>());
        _acmeHttp = new Lazy<HttpClient>(() =>
        {
            HttpMessageHandler handler = acmeHandlerFactory?.Invoke()
                ?? (settings.Acme.CaBundle is { } bundle ? AcmeHttpHandlers.CreateHandlerTrusting(File.ReadAllText(bundle)) : new SocketsHttpHandler());
            return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        });
    }

    public CertfleetSettings Settings { get; }

    public ILoggerFactory LoggerFactory { get; }

    public TimeProvider Time { get; }

    public CertificateStore Store { get; }

    public AccountStore Accounts { get; }

    public PendingRecordJournal Journal { get; }

    public Dns01Coordinator CreateDnsCoordinator() =>
        new(Settings.Dns.Providers, new JournalAdapter(Journal),
            new PropagationChecker(Settings.Dns.Options, LoggerFactory.CreateLogger<PropagationChecker>(), Time),
            Settings.Dns.Options, LoggerFactory, Time);

    /// <summary>An ACME client for the configured directory with this installation's account key (or a new one).</summary>
    public AcmeClient CreateClient(AcmeAccountKey key, IIssueObserver? observer = null, string? certificate = null) =>
        new(Settings.Acme.Directory, key, _acmeHttp.Value, Time, new AcmeClientOptions
        {
            Progress = new AcmeProgress(_logger, observer, certificate),
        });

    /// <summary>
    /// Asks each provider that can (RFC 2136: a signed no-op update) whether it may update the zones
    /// of these certificates, before any order or state change.
    /// </summary>
    public async Task PreflightDnsAsync(IEnumerable<CertificateSettings> certificates, CancellationToken cancellationToken)
    {
        foreach (var group in certificates.GroupBy(c => c.DnsProvider, StringComparer.Ordinal))
        {
            if (Settings.Dns.Providers.TryGetValue(group.Key, out var provider) && provider is IDnsProviderPreflight preflight)
            {
                var names = group.SelectMany(c => c.Domains).Select(d => DomainName.Parse(d).ChallengeRecordName).Distinct(StringComparer.Ordinal).ToList();
                await preflight.PreflightAsync(names, cancellationToken);
            }
        }
    }

    /// <summary>Fetches the directory once, turning network and TLS failures into one actionable message.</summary>
    public async Task<AcmeDirectory> ProbeDirectoryAsync(CancellationToken cancellationToken)
    {
        using var key = AcmeAccountKey.Generate();
        try
        {
            return await CreateClient(key).GetDirectoryAsync(cancellationToken);
        }
        catch (HttpRequestException e)
        {
            var why = e.InnerException is System.Security.Authentication.AuthenticationException
                ? "its TLS certificate is not trusted; for a test CA set acme.caBundle to its root"
                : e.Message.TrimEnd('.');
            throw new CertfleetException($"acme: cannot reach the ACME directory {Settings.Acme.Directory} ({why}); check acme.directory and the network", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CertfleetException($"acme: the ACME directory {Settings.Acme.Directory} did not answer in time; check acme.directory and the network", e);
        }
    }

    /// <summary>
    /// The stored account for the configured directory, or a newly registered one when
    /// <paramref name="register"/> is set (agreeing to the CA's terms, which the docs state).
    /// </summary>
    public async Task<AcmeClient> ConnectAsync(bool register, IIssueObserver? observer, string? certificate, CancellationToken cancellationToken)
    {
        var directory = Settings.Acme.Directory.ToString();
        var stored = await Accounts.LoadAsync(directory, cancellationToken);
        if (stored is not null)
        {
            var key = AcmeAccountKey.ImportPem(stored.PrivateKeyPem);
            var client = CreateClient(key, observer, certificate);
            client.UseAccount(new Uri(stored.AccountUrl));
            return client;
        }

        if (!register)
        {
            throw new CertfleetException($"acme: no account for {directory} in {Settings.StateDir}; run 'certfleet account register'");
        }

        observer?.Step(certificate ?? "account", $"registering an ACME account with {Settings.Acme.Directory.Host}");
        var newKey = AcmeAccountKey.Generate(KeyTypes.Parse(Settings.Acme.AccountKeyType));
        var newClient = CreateClient(newKey, observer, certificate);
        var eab = Settings.Acme.Eab is { } e ? ExternalAccountBinding.FromBase64Url(e.KeyId, e.HmacKey.Reveal()) : null;
        var contacts = Settings.Acme.Email is { } email ? new[] { email } : [];
        var account = await newClient.CreateAccountAsync(contacts, termsOfServiceAgreed: true, eab, cancellationToken);
        await Accounts.SaveAsync(new StoredAccount(directory, account.Url.ToString(), account.Contacts, newKey.ExportPem()), cancellationToken);
        Log.AccountRegistered(_logger, account.Url);
        return newClient;
    }

    public void Dispose()
    {
        if (_acmeHttp.IsValueCreated)
        {
            _acmeHttp.Value.Dispose();
        }
    }

    private sealed class AcmeProgress(ILogger logger, IIssueObserver? observer, string? certificate) : IProgress<AcmeEvent>
    {
        public void Report(AcmeEvent value)
        {
            Log.AcmeEvent(logger, value.Kind, value.Message);
            if (value.Kind == AcmeEventKind.Polling)
            {
                observer?.Detail(certificate ?? "acme", value.Message);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Registered ACME account {AccountUrl}")]
        public static partial void AccountRegistered(ILogger logger, Uri accountUrl);

        [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "acme {Kind}: {Message}")]
        public static partial void AcmeEvent(ILogger logger, AcmeEventKind kind, string message);
    }
}
