using Certfleet.Configuration;

namespace Certfleet.Deployment;

public enum DeployMethod
{
    /// <summary>Written once into the issuer's export directory, which every host mounts.</summary>
    Share,
    /// <summary>Copied to each host over SFTP.</summary>
    Push,
}

/// <summary>How Tomcat gets the certificate: a PKCS#12 keystore (stable alias, secret password) or the PEM files.</summary>
public sealed record TomcatOptions(string Keystore, Secret? Password, string Alias)
{
    public bool Pkcs12 => Keystore == "pkcs12";
}

/// <summary>One item of <c>certificates.NAME.deploy</c>: where the files of a certificate go and what is reloaded.</summary>
/// <param name="Services">Services to test and reload; null means <c>auto</c> (the web servers detected on each host).</param>
public sealed record DeployTarget(
    string Name,
    IReadOnlyList<string> To,
    DeployMethod Method,
    string Path,
    IReadOnlyList<string>? Services,
    string Owner,
    string Group,
    TomcatOptions? Tomcat);

/// <summary>The <c>share:</c> section: where the issuer exports the files.</summary>
/// <param name="Server">Address of the issuer as the hosts mount it; this machine's host name when unset.</param>
public sealed record ShareOptions(string ExportPath, string? Server = null)
{
    public string EffectiveServer => Server ?? System.Net.Dns.GetHostName();
}

/// <summary>The deployment sections of the configuration (<c>share:</c>, <c>rollout:</c>).</summary>
public sealed record DeploymentSettings(ShareOptions? Share, RolloutOptions Rollout)
{
    public static readonly DeploymentSettings Default = new(null, new RolloutOptions());
}

/// <summary>The <c>rollout:</c> section.</summary>
/// <param name="Canary">Hosts deployed first, alone; if one fails the rollout stops.</param>
/// <param name="Batch">Hosts per batch after the canaries.</param>
/// <param name="Parallelism">Hosts worked on at the same time within a batch.</param>
public sealed record RolloutOptions(int Canary = 1, int Batch = 10, int Parallelism = 16);

/// <summary>Configuration keys of the deployment sections and their readers.</summary>
public static class DeployOptions
{
    public const string DefaultPath = "/etc/ssl/certfleet";

    public static readonly ConfigKey To = new("to", ConfigValueKind.StringList,
        "Hosts and @groups that get the certificate.", Required: true, Example: "[\"@web\"]");
    public static readonly ConfigKey Method = new("method", ConfigValueKind.String,
        "share: hosts read the files from the issuer's NFS export (share.exportPath) mounted at path; push: files are copied over SFTP.",
        Default: "push", Allowed: ["share", "push"]);
    public static readonly ConfigKey Path = new("path", ConfigValueKind.String,
        "Directory on the host holding NAME/{cert,chain,fullchain,privkey}.pem (the mount point for share).", Default: DefaultPath, Example: "/etc/ssl/certfleet");
    public static readonly ConfigKey Services = new("services", ConfigValueKind.StringList,
        "auto (the web servers found on each host) or the services to test and reload, e.g. [nginx, httpd, tomcat10].", Default: "auto", Example: "[nginx]");
    public static readonly ConfigKey Owner = new("owner", ConfigValueKind.String, "Owner of the files on the host.", Default: "root");
    public static readonly ConfigKey Group = new("group", ConfigValueKind.String,
        "Group of the files; the private key is 0640 owner:group, so the web server's group can read it.", Default: "root", Example: "ssl-cert");
    public static readonly ConfigKey Tomcat = new("tomcat", ConfigValueKind.Section, "Keystore for Tomcat hosts.", SectionPath: "certificates.NAME.deploy[].tomcat");

    public static readonly ConfigKey Keystore = new("keystore", ConfigValueKind.String,
        "pkcs12: keystore.p12 (AES-256-CBC, PBKDF2/SHA-256, SHA-256 MAC); pem: the connector reads the PEM files (certificateFile).",
        Default: "pkcs12", Allowed: ["pkcs12", "pem"]);
    public static readonly ConfigKey KeystorePassword = new("password", ConfigValueKind.Secret,
        "Password of keystore.p12 (and its key), as in the connector's certificateKeystorePassword.", Example: "env:TOMCAT_KS_PASSWORD");
    public static readonly ConfigKey Alias = new("alias", ConfigValueKind.String,
        "Alias of the key entry (certificateKeyAlias).", Default: "certfleet");

    public static readonly ConfigKey ExportPath = new("exportPath", ConfigValueKind.String,
        "Directory on this (issuing) host exported read-only over NFS; each certificate is published in exportPath/NAME.",
        Required: true, Example: "/srv/certfleet");

    public static readonly ConfigKey Server = new("server", ConfigValueKind.String,
        "Name or address of this host as the web servers reach it for the NFS mount.", Example: "certs.example.internal");

    public static readonly ConfigKey Canary = new("canary", ConfigValueKind.Integer, "Hosts deployed first; a failure there stops the rollout.", Default: "1");
    public static readonly ConfigKey Batch = new("batch", ConfigValueKind.Integer, "Hosts per batch after the canaries.", Default: "10");
    public static readonly ConfigKey Parallelism = new("parallelism", ConfigValueKind.Integer, "Hosts deployed at the same time within a batch.", Default: "16");

    /// <summary>The <c>deploy</c> key of a certificate: a list of targets.</summary>
    public static readonly ConfigKey Deploy = new("deploy", ConfigValueKind.Section,
        "Where the certificate goes: a list of targets, each with hosts, method, path and services.",
        SectionPath: "certificates.NAME.deploy[]");
    public static readonly ConfigKey Share = new("share", ConfigValueKind.Section, "The export used by deploy targets with method: share.", SectionPath: "share");
    public static readonly ConfigKey Rollout = new("rollout", ConfigValueKind.Section, "Order and pace of deployments.", SectionPath: "rollout");

    public static readonly ConfigSectionSchema TargetSection = new("certificates.NAME.deploy[]", "One deployment target of a certificate (an item of the deploy list).",
        [To, Method, Path, Services, Owner, Group, Tomcat]);
    public static readonly ConfigSectionSchema TomcatSection = new("certificates.NAME.deploy[].tomcat", "Tomcat keystore.", [Keystore, KeystorePassword, Alias]);
    public static readonly ConfigSectionSchema ShareSection = new("share", "The issuer's NFS export.", [ExportPath, Server]);
    public static readonly ConfigSectionSchema RolloutSection = new("rollout", "Canary, batches and parallelism of deployments.", [Canary, Batch, Parallelism]);

    public static IReadOnlyList<ConfigSectionSchema> Schemas => [TargetSection, TomcatSection, ShareSection, RolloutSection];

    public static IReadOnlyList<ConfigKey> TopLevelKeys => [Share, Rollout];

    /// <summary>Reads <c>deploy:</c> of one certificate; errors are recorded in the node's errors.</summary>
    public static IReadOnlyList<DeployTarget> ReadTargets(ConfigNode certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var result = new List<DeployTarget>();
        var items = certificate.GetSectionList(Deploy);
        for (var index = 0; index < items.Count; index++)
        {
            var node = items[index];
            var name = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            node.RejectUnknownKeys(TargetSection);
            var to = node.GetStringList(To).Select(t => t.Value).ToList();
            if (to.Count == 0 && node.Has(To))
            {
                node.AddError(To, "lists no host; name hosts or @groups");
            }

            // GetString records a value outside Allowed and returns null: such a target is dropped, the error reported.
            var methodText = node.Has(Method) ? node.GetString(Method) : "push";
            DeployMethod? method = methodText switch { "share" => DeployMethod.Share, "push" => DeployMethod.Push, _ => null };

            var path = node.GetString(Path) ?? DefaultPath;
            if (!path.StartsWith('/') || path.Contains("..", StringComparison.Ordinal))
            {
                node.AddError(Path, $"'{path}' must be an absolute path without '..'");
            }

            IReadOnlyList<string>? services = null;
            if (node.Has(Services))
            {
                var list = node.GetStringList(Services).Select(s => s.Value).ToList();
                if (!(list.Count == 1 && list[0] == "auto"))
                {
                    services = list;
                }
            }

            var owner = node.GetString(Owner) ?? "root";
            var group = node.GetString(Group) ?? "root";
            foreach (var (key, value) in new[] { (Owner, owner), (Group, group) })
            {
                if (!IsAccountName(value))
                {
                    node.AddError(key, $"'{value}' is not a user or group name");
                }
            }

            TomcatOptions? tomcat = null;
            if (node.GetSection(Tomcat) is { } t)
            {
                t.RejectUnknownKeys(TomcatSection);
                var keystore = t.GetString(Keystore) ?? "pkcs12";

                var password = t.GetSecret(KeystorePassword);
                if (keystore == "pkcs12" && password is null && !t.Has(KeystorePassword))
                {
                    t.AddError(KeystorePassword, "is required for a pkcs12 keystore, e.g. env:TOMCAT_KS_PASSWORD");
                }

                tomcat = new TomcatOptions(keystore, password, t.GetString(Alias) ?? "certfleet");
            }

            if (method is { } m && to.Count > 0)
            {
                result.Add(new DeployTarget(name, to, m, path.TrimEnd('/'), services, owner, group, tomcat));
            }
        }

        return result;
    }

    public static DeploymentSettings ReadSettings(ConfigNode root) => new(ReadShare(root), ReadRollout(root));

    public static ShareOptions? ReadShare(ConfigNode root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (root.GetSection(Share) is not { } node)
        {
            return null;
        }

        node.RejectUnknownKeys(ShareSection);
        var path = node.GetString(ExportPath);
        if (path is not null && !path.StartsWith('/'))
        {
            node.AddError(ExportPath, $"'{path}' must be an absolute path");
        }

        return path is null ? null : new ShareOptions(path.TrimEnd('/'), node.GetString(Server));
    }

    public static RolloutOptions ReadRollout(ConfigNode root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (root.GetSection(Rollout) is not { } node)
        {
            return new RolloutOptions();
        }

        node.RejectUnknownKeys(RolloutSection);
        return new RolloutOptions(node.GetInt(Canary, 0, 1000) ?? 1, node.GetInt(Batch, 1, 10000) ?? 10, node.GetInt(Parallelism, 1, 256) ?? 16);
    }

    internal static bool IsAccountName(string name) =>
        name.Length is > 0 and <= 32 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') && name[0] != '-';
}
