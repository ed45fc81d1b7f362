using Certfleet.Configuration;

namespace Certfleet.Engine;

/// <summary>
/// The keys of certfleet's own sections. The configuration reference (docs/configuration.md) is
/// generated from these definitions and those of each provider.
/// </summary>
public static class SettingsSchema
{
    public static readonly IReadOnlyList<string> KeyTypes = ["ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"];

    public static readonly ConfigKey StateDir = new("stateDir", ConfigValueKind.String,
        "Directory holding certificates, keys, the ACME account and run state. Created 0700 on first write.",
        Default: "/var/lib/certfleet", Example: "/var/lib/certfleet");

    public static readonly ConfigKey Acme = new("acme", ConfigValueKind.Section, "The certificate authority and the ACME account (default: Let's Encrypt production).", SectionPath: "acme");
    public static readonly ConfigKey Dns = new("dns", ConfigValueKind.Section, "DNS-01 challenges: propagation checks and DNS providers.", SectionPath: "dns");
    public static readonly ConfigKey Certificates = new("certificates", ConfigValueKind.NamedSections, "The certificates to obtain and renew, by name.", SectionPath: "certificates.NAME");

    public static readonly ConfigSectionSchema Root = new("", "Top level of certfleet.yaml.", [StateDir, Acme, Dns, Certificates, .. Certfleet.Remote.FleetOptions.TopLevelKeys, .. Certfleet.Deployment.DeployOptions.TopLevelKeys, .. Certfleet.Engine.Renewal.RenewalSchema.TopLevelKeys, Certfleet.Notifications.NotificationSchema.Notifications]);

    public static readonly ConfigKey Directory = new("directory", ConfigValueKind.String,
        "ACME directory: letsencrypt, letsencrypt-staging, or the https URL of any RFC 8555 directory.",
        Default: "letsencrypt", Example: "letsencrypt-staging");
    public static readonly ConfigKey Email = new("email", ConfigValueKind.String,
        "Contact address registered with the account (optional; Let's Encrypt sends no expiry mail any more).", Example: "ops@example.com");
    public static readonly ConfigKey CaBundle = new("caBundle", ConfigValueKind.String,
        "PEM file of extra roots trusted for the ACME server's HTTPS endpoint (test CAs such as Pebble).", Example: "/etc/certfleet/pebble-tls.pem");
    public static readonly ConfigKey Eab = new("eab", ConfigValueKind.Section,
        "External Account Binding (RFC 8555 §7.3.4), for CAs that require it.", SectionPath: "acme.eab");
    public static readonly ConfigKey Profile = new("profile", ConfigValueKind.String,
        "Certificate profile to request (e.g. classic, tlsserver, shortlived); refused before ordering when the CA does not offer it.", Example: "tlsserver");
    public static readonly ConfigKey PreferredChain = new("preferredChain", ConfigValueKind.String,
        "Common name of the top issuer of the chain to prefer among the alternates the CA offers.", Example: "ISRG Root X1");
    public static readonly ConfigKey AccountKeyType = new("accountKeyType", ConfigValueKind.String,
        "Key type of a new ACME account key.", Default: "ec-p256", Allowed: ["ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"]);

    public static readonly ConfigSectionSchema AcmeSection = new("acme", "The certificate authority and the ACME account.",
        [Directory, Email, CaBundle, Eab, Profile, PreferredChain, AccountKeyType]);

    public static readonly ConfigKey EabKeyId = new("keyId", ConfigValueKind.String, "Key identifier given by the CA.", Required: true, Example: "kid-1");
    public static readonly ConfigKey EabHmacKey = new("hmacKey", ConfigValueKind.Secret, "Base64url HMAC key given by the CA.", Required: true, Example: "env:EAB_HMAC");

    public static readonly ConfigSectionSchema EabSection = new("acme.eab", "External Account Binding.", [EabKeyId, EabHmacKey]);

    public static readonly ConfigKey Domains = new("domains", ConfigValueKind.StringList,
        "Names on the certificate. A wildcard covers one label: list the apex too. Unicode names are ordered as A-labels.",
        Required: true, Example: "[example.com, \"*.example.com\"]");
    public static readonly ConfigKey DnsProvider = new("dnsProvider", ConfigValueKind.String,
        "Name of the provider under dns.providers that publishes this certificate's challenges.", Required: true, Example: "ovh");
    public static readonly ConfigKey KeyType = new("keyType", ConfigValueKind.String,
        "Key type of the certificate's private key.", Default: "ec-p256", Allowed: KeyTypes);
    public static readonly ConfigKey KeyReuse = new("keyReuse", ConfigValueKind.Boolean,
        "Keep the private key across renewals (e.g. for key pinning); by default each renewal gets a new key.", Default: "false");
    public static readonly ConfigKey CertificateProfile = new("profile", ConfigValueKind.String,
        "Certificate profile for this certificate, overriding acme.profile.", Example: "shortlived");

    public static readonly ConfigSectionSchema CertificateSection = new("certificates.NAME", "One certificate; NAME is used for the directory live/NAME.",
        [Domains, DnsProvider, KeyType, KeyReuse, CertificateProfile, Certfleet.Deployment.DeployOptions.Deploy]);

    /// <summary>Every section certfleet itself defines, in the order the reference lists them.</summary>
    public static IReadOnlyList<ConfigSectionSchema> Sections => [Root, AcmeSection, EabSection, CertificateSection, .. Certfleet.Remote.FleetOptions.Schemas, .. Certfleet.Deployment.DeployOptions.Schemas, .. Certfleet.Engine.Renewal.RenewalSchema.Schemas, .. Certfleet.Notifications.NotificationSchema.Schemas];
}
