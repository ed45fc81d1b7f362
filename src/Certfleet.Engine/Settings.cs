using Certfleet.Configuration;

namespace Certfleet.Engine;

/// <summary>The validated configuration of one certfleet installation.</summary>
public sealed record CertfleetSettings(
    string File,
    string StateDir,
    AcmeSettings Acme,
    DnsSettings Dns,
    IReadOnlyList<CertificateSettings> Certificates,
    Certfleet.Remote.FleetConfig Fleet)
{
    /// <summary>The <c>share:</c> and <c>rollout:</c> sections.</summary>
    public Certfleet.Deployment.DeploymentSettings Deployment { get; init; } = Certfleet.Deployment.DeploymentSettings.Default;

    public Certfleet.Engine.Renewal.RenewalSettings Renewal { get; init; } = Certfleet.Engine.Renewal.RenewalSettings.Default;

    public Certfleet.Notifications.NotificationSettings Notifications { get; init; } = Certfleet.Notifications.NotificationSettings.None;

    public Certfleet.Engine.Renewal.HistorySettings History { get; init; } = Certfleet.Engine.Renewal.HistorySettings.Default;

    public CertificateSettings? Find(string name) => Certificates.FirstOrDefault(c => c.Name == name);
}

public sealed record AcmeSettings(
    Uri Directory,
    string? Email,
    string? CaBundle,
    EabSettings? Eab,
    string? Profile,
    string? PreferredChain,
    string AccountKeyType);

public sealed record EabSettings(string KeyId, Secret HmacKey);

public sealed record DnsSettings(
    Certfleet.Dns.DnsOptions Options,
    IReadOnlyDictionary<string, Certfleet.Dns.IDnsProvider> Providers)
{
    /// <summary>Every name under dns.providers, valid or not.</summary>
    public IReadOnlyList<string> DeclaredProviders { get; init; } = [];
}

public sealed record CertificateSettings(
    string Name,
    IReadOnlyList<string> Domains,
    string DnsProvider,
    string KeyType,
    bool KeyReuse,
    string? Profile,
    SourceLocation Location)
{
    /// <summary>The <c>deploy:</c> targets of this certificate.</summary>
    public IReadOnlyList<Certfleet.Deployment.DeployTarget> Deploy { get; init; } = [];
}
