using System.Text.RegularExpressions;
using Certfleet.Configuration;
using Certfleet.Dns;
using Certfleet.Remote;

namespace Certfleet.Engine;

/// <summary>Finds, parses and validates certfleet.yaml, reporting every error at once.</summary>
public sealed partial class SettingsLoader
{
    public const string LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory";
    public const string LetsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory";

    private readonly DnsProviderRegistry _providers;
    private readonly DnsProviderContext _context;

    public SettingsLoader(DnsProviderRegistry providers, DnsProviderContext context)
    {
        _providers = providers;
        _context = context;
    }

    /// <summary>The file to read: the option, else $CERTFLEET_CONFIG, else ./certfleet.yaml, else /etc/certfleet/certfleet.yaml.</summary>
    public static string Locate(string? option, Func<string, string?> environment)
    {
        if (!string.IsNullOrEmpty(option))
        {
            return option;
        }

        if (environment("CERTFLEET_CONFIG") is { Length: > 0 } fromEnv)
        {
            return fromEnv;
        }

        const string local = "certfleet.yaml";
        return File.Exists(local) ? Path.GetFullPath(local) : "/etc/certfleet/certfleet.yaml";
    }

    public CertfleetSettings Load(string path, Func<string, string?>? environment = null)
    {
        var errors = new ConfigErrors();
        var root = ConfigNode.Load(path, errors, environment);
        var settings = Bind(root);
        errors.ThrowIfAny();
        return settings!;
    }

    public CertfleetSettings? Bind(ConfigNode root)
    {
        root.RejectUnknownKeys(SettingsSchema.Root);
        var stateDir = root.GetString(SettingsSchema.StateDir) ?? "/var/lib/certfleet";
        if (!Path.IsPathRooted(stateDir))
        {
            root.AddError(SettingsSchema.StateDir, "must be an absolute path, e.g. /var/lib/certfleet");
        }

        var acme = BindAcme(root.GetSection(SettingsSchema.Acme));
        var dns = BindDns(root.GetSection(SettingsSchema.Dns));
        var certificates = BindCertificates(root, dns);
        var fleet = BindFleet(root);
        var deployment = Certfleet.Deployment.DeployOptions.ReadSettings(root);
        var renewal = Renewal.RenewalSchema.ReadRenewal(root);
        var history = Renewal.RenewalSchema.ReadHistory(root);
        var notifications = Certfleet.Notifications.NotificationSchema.Read(root);
        return acme is null || dns is null ? null : new CertfleetSettings(root.File, stateDir, acme, dns, certificates, fleet)
        {
            Deployment = deployment,
            Renewal = renewal,
            History = history,
            Notifications = notifications,
        };
    }

    private static FleetConfig BindFleet(ConfigNode root)
    {
        var fleet = FleetOptions.Read(root);
        if (fleet.AnsibleInventory is { } path)
        {
            try
            {
                fleet = FleetOptions.Merge(fleet, AnsibleInventory.Load(path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidDataException)
            {
                root.Errors.Add(root.LocationOf(FleetOptions.Inventory), $"inventory.ansible: cannot import {path}: {e.Message}");
            }
        }

        return fleet;
    }

    private static AcmeSettings? BindAcme(ConfigNode? node)
    {
        if (node is null)
        {
            return new AcmeSettings(new Uri(LetsEncrypt), null, null, null, null, null, "ec-p256");
        }

        node.RejectUnknownKeys(SettingsSchema.AcmeSection);
        var directoryText = node.GetString(SettingsSchema.Directory) ?? "letsencrypt";
        Uri? directory = directoryText switch
        {
            "letsencrypt" => new Uri(LetsEncrypt),
            "letsencrypt-staging" => new Uri(LetsEncryptStaging),
            _ when Uri.TryCreate(directoryText, UriKind.Absolute, out var u) && u.Scheme == Uri.UriSchemeHttps => u,
            _ => null,
        };
        if (directory is null)
        {
            node.AddError(SettingsSchema.Directory, $"'{directoryText}' is neither letsencrypt, letsencrypt-staging nor an https:// URL");
        }

        var email = node.GetString(SettingsSchema.Email);
        if (email is not null && !EmailPattern().IsMatch(email))
        {
            node.AddError(SettingsSchema.Email, $"'{email}' is not an e-mail address");
        }

        var caBundle = node.GetString(SettingsSchema.CaBundle);
        if (caBundle is not null && !File.Exists(caBundle))
        {
            node.AddError(SettingsSchema.CaBundle, $"file {caBundle} does not exist");
        }

        EabSettings? eab = null;
        if (node.GetSection(SettingsSchema.Eab) is { } eabNode)
        {
            eabNode.RejectUnknownKeys(SettingsSchema.EabSection);
            var keyId = eabNode.GetString(SettingsSchema.EabKeyId);
            var hmac = eabNode.GetSecret(SettingsSchema.EabHmacKey);
            if (keyId is not null && hmac is not null)
            {
                eab = new EabSettings(keyId, hmac);
            }
        }

        var profile = node.GetString(SettingsSchema.Profile);
        var preferredChain = node.GetString(SettingsSchema.PreferredChain);
        var accountKeyType = node.GetString(SettingsSchema.AccountKeyType) ?? "ec-p256";
        return directory is null ? null : new AcmeSettings(directory, email, caBundle, eab, profile, preferredChain, accountKeyType);
    }

    private DnsSettings? BindDns(ConfigNode? node)
    {
        if (node is null)
        {
            return new DnsSettings(DnsOptions.Default, new Dictionary<string, IDnsProvider>());
        }

        var options = DnsOptions.Read(node);
        var providers = _providers.CreateProviders(node, _context);
        return new DnsSettings(options, providers) { DeclaredProviders = node.KeysOf(DnsOptions.ProvidersKey) };
    }

    private static List<CertificateSettings> BindCertificates(ConfigNode root, DnsSettings? dns)
    {
        var result = new List<CertificateSettings>();
        var entries = root.GetNamedSections(SettingsSchema.Certificates);
        if (root.Has(SettingsSchema.Certificates) && entries.Count == 0)
        {
            root.AddError(SettingsSchema.Certificates, "lists no certificate; add one, e.g. example: { domains: [example.com, \"*.example.com\"], dnsProvider: NAME }");
        }

        foreach (var (name, node) in entries)
        {
            if (!CertificateNamePattern().IsMatch(name))
            {
                node.AddError($"certificate name '{name}' may use only a-z, 0-9, '.', '_' and '-' (it names the directory live/{name})");
            }

            node.RejectUnknownKeys(SettingsSchema.CertificateSection);
            var domains = new List<string>();
            foreach (var (value, location) in node.GetStringList(SettingsSchema.Domains))
            {
                if (DomainName.TryParse(value, out var parsed, out var reason))
                {
                    if (!domains.Contains(parsed.Value))
                    {
                        domains.Add(parsed.Value);
                    }
                }
                else
                {
                    node.Errors.Add(location, $"certificates.{name}.domains: {reason}");
                }
            }

            if (node.Has(SettingsSchema.Domains) && domains.Count == 0 && !node.Errors.All.Any(e => e.Location.File == node.File && e.Message.Contains("domains", StringComparison.Ordinal)))
            {
                node.AddError(SettingsSchema.Domains, "lists no name");
            }

            var provider = node.GetString(SettingsSchema.DnsProvider);
            // A provider that is declared but invalid has its own errors already.
            if (provider is not null && dns is not null && !dns.Providers.ContainsKey(provider) && !dns.DeclaredProviders.Contains(provider))
            {
                node.AddError(SettingsSchema.DnsProvider, dns.Providers.Count == 0
                    ? $"'{provider}' is not defined; add it under dns.providers"
                    : $"'{provider}' is not defined under dns.providers (defined: {string.Join(", ", dns.Providers.Keys)})");
            }

            var keyType = node.GetString(SettingsSchema.KeyType) ?? "ec-p256";
            var keyReuse = node.GetBool(SettingsSchema.KeyReuse) ?? false;
            var profile = node.GetString(SettingsSchema.CertificateProfile);
            var deploy = Certfleet.Deployment.DeployOptions.ReadTargets(node);
            if (provider is not null)
            {
                result.Add(new CertificateSettings(name, domains, provider, keyType, keyReuse, profile, node.Location) { Deploy = deploy });
            }
        }

        return result;
    }

    [GeneratedRegex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex CertificateNamePattern();
}
