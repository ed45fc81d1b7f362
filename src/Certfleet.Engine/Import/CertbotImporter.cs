using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Certfleet.Acme;
using Certfleet.Store;

namespace Certfleet.Engine.Import;

/// <summary>What certbot knows about one lineage, read from <c>live/NAME/</c> and <c>renewal/NAME.conf</c>.</summary>
/// <param name="Name">certbot's lineage name, used as certfleet's certificate name.</param>
/// <param name="LiveDirectory">The certbot <c>live/NAME</c> directory the files were read from.</param>
/// <param name="Domains">The certificate's DNS names in certificate order (certbot keeps no other list).</param>
/// <param name="KeyType">certfleet key type for the next renewals.</param>
/// <param name="KeyReuse">certbot's <c>reuse_key</c>.</param>
/// <param name="Server">certbot's ACME directory URL, when renewal/NAME.conf has one.</param>
/// <param name="Authenticator">certbot's authenticator, e.g. <c>dns-ovh</c>, <c>dns-rfc2136</c>.</param>
/// <param name="Notes">Things the operator should know before relying on the import.</param>
public sealed record CertbotLineage(
    string Name,
    string LiveDirectory,
    IReadOnlyList<string> Domains,
    string KeyType,
    bool KeyReuse,
    string? Server,
    string? Authenticator,
    IReadOnlyList<string> Notes);

/// <summary>The outcome of importing one lineage.</summary>
public sealed record CertbotImportResult(CertbotLineage Lineage, StoredCertificate Stored, bool AlreadyImported);

/// <summary>
/// Takes over certbot lineages (<c>/etc/letsencrypt</c> layout) into certfleet's store, so the next renewal
/// continues from the current certificate (ARI <c>replaces</c>, key reuse) instead of starting a new lineage.
/// certbot's files are only read, never changed.
/// </summary>
public sealed class CertbotImporter(CertificateStore store)
{
    /// <summary>certbot's default configuration directory.</summary>
    public const string DefaultDirectory = "/etc/letsencrypt";

    /// <summary>Lineage names under <c>DIR/live/</c> that have a certificate, sorted.</summary>
    public static IReadOnlyList<string> ListLineages(string certbotDirectory)
    {
        var live = Path.Combine(certbotDirectory, "live");
        if (!Directory.Exists(live))
        {
            throw new UsageException($"import: {live} does not exist; pass certbot's configuration directory (default {DefaultDirectory})");
        }

        return [.. Directory.EnumerateDirectories(live)
            .Where(d => File.Exists(Path.Combine(d, "cert.pem")))
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Reads one lineage without importing it.</summary>
    public static async Task<(CertbotLineage Lineage, CertificateBundle Bundle)> ReadAsync(string certbotDirectory, string name, CancellationToken cancellationToken)
    {
        if (!CertificateStore.IsValidName(name))
        {
            throw new UsageException($"import: certbot lineage name '{name}' cannot be a certfleet certificate name; use letters, digits, '.', '-', '_'");
        }

        var liveDirectory = Path.Combine(certbotDirectory, "live", name);
        if (!Directory.Exists(liveDirectory))
        {
            throw new UsageException($"import: {liveDirectory} does not exist; 'certbot certificates --config-dir {certbotDirectory}' lists the lineages");
        }

        var certificatePem = await ReadFileAsync(liveDirectory, "cert.pem", cancellationToken);
        var chainPem = await ReadFileAsync(liveDirectory, "chain.pem", cancellationToken);
        var fullChainPem = await ReadFileAsync(liveDirectory, "fullchain.pem", cancellationToken);
        var privateKeyPem = await ReadFileAsync(liveDirectory, "privkey.pem", cancellationToken);
        var renewal = await ReadRenewalConfAsync(Path.Combine(certbotDirectory, "renewal", name + ".conf"), cancellationToken);
        var notes = new List<string>();
        if (renewal is null)
        {
            notes.Add($"no renewal/{name}.conf: key type taken from the current key, ACME server unknown");
        }

        using var leaf = LoadCertificate(certificatePem, liveDirectory);
        var domains = DnsNames(leaf);
        if (domains.Count == 0)
        {
            throw new CertfleetException($"import: {liveDirectory}/cert.pem has no DNS names; certfleet only manages DNS-name certificates");
        }

        var currentKeyType = KeyTypeOf(leaf);
        var keyType = renewal is null ? currentKeyType : RenewalKeyType(renewal) ?? currentKeyType;
        if (keyType is null || !SettingsSchema.KeyTypes.Contains(keyType))
        {
            notes.Add($"key type {keyType ?? "unknown"} is not one certfleet issues; the entry uses ec-p256, change keyType if needed");
            keyType = "ec-p256";
        }

        var keyReuse = renewal?.GetValueOrDefault("reuse_key") is { } reuse && reuse.Equals("True", StringComparison.OrdinalIgnoreCase);
        if (keyReuse && keyType != currentKeyType)
        {
            notes.Add("certbot reuses the key but its key type differs from the configured one; the next renewal makes a new key");
        }

        var server = renewal?.GetValueOrDefault("server");
        var authenticator = renewal?.GetValueOrDefault("authenticator");
        if (authenticator is not null && !authenticator.StartsWith("dns-", StringComparison.Ordinal))
        {
            notes.Add($"certbot validated with '{authenticator}'; certfleet uses DNS-01, so configure a DNS provider for every name");
        }

        var lineage = new CertbotLineage(name, liveDirectory, domains, keyType, keyReuse, server, authenticator, notes);
        var bundle = new CertificateBundle(certificatePem, chainPem, fullChainPem, privateKeyPem, new CertificateMetadata
        {
            Name = name,
            Domains = domains,
            DirectoryUrl = server,
            AriCertId = TryCertId(leaf),
        });
        return (lineage, bundle);
    }

    /// <summary>
    /// Stores the current certbot version of <paramref name="name"/> as the current version of certfleet's lineage of the
    /// same name. Importing the same certificate again changes nothing; a lineage that already holds another certificate is refused.
    /// </summary>
    public async Task<CertbotImportResult> ImportAsync(string certbotDirectory, string name, CancellationToken cancellationToken)
    {
        var (lineage, bundle) = await ReadAsync(certbotDirectory, name, cancellationToken);
        var existing = await store.GetCurrentAsync(name, cancellationToken);
        if (existing is not null)
        {
            using var leaf = LoadCertificate(bundle.CertificatePem, lineage.LiveDirectory);
            var serial = Convert.ToHexString(leaf.SerialNumberBytes.Span);
            if (string.Equals(existing.SerialNumber.TrimStart('0'), serial.TrimStart('0'), StringComparison.OrdinalIgnoreCase))
            {
                return new CertbotImportResult(lineage, existing, AlreadyImported: true);
            }

            throw new CertfleetException(
                $"import: certfleet already has a lineage '{name}' (serial {existing.SerialNumber}, valid until {existing.NotAfter:yyyy-MM-dd}); it is not replaced by certbot's; remove {Path.Combine(store.StateDirectory, "live", name)} first if certbot's is the one to keep");
        }

        var stored = await store.SaveAsync(name, bundle, cancellationToken);
        return new CertbotImportResult(lineage, stored, AlreadyImported: false);
    }

    /// <summary>The <c>certificates:</c> entry to add to certfleet.yaml for <paramref name="lineage"/>.</summary>
    public static string ConfigurationEntry(CertbotLineage lineage, string? dnsProvider)
    {
        var sb = new StringBuilder();
        sb.Append("certificates:\n");
        sb.Append("  ").Append(lineage.Name).Append(":\n");
        sb.Append("    domains: [").Append(string.Join(", ", lineage.Domains.Select(Yaml))).Append("]\n");
        sb.Append("    dnsProvider: ").Append(dnsProvider ?? "PROVIDER").Append(dnsProvider is null ? "    # a provider under dns.providers" : "").Append('\n');
        sb.Append("    keyType: ").Append(lineage.KeyType).Append('\n');
        if (lineage.KeyReuse)
        {
            sb.Append("    keyReuse: true\n");
        }

        return sb.ToString();
    }

    private static string Yaml(string domain) => domain.StartsWith('*') ? $"\"{domain}\"" : domain;

    private static async Task<string> ReadFileAsync(string directory, string file, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, file);
        try
        {
            return await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            throw new CertfleetException($"import: {path} is missing; a certbot lineage has cert.pem, chain.pem, fullchain.pem and privkey.pem");
        }
        catch (UnauthorizedAccessException)
        {
            throw new CertfleetException($"import: cannot read {path}; run the import as root (certbot's keys are readable by root only)");
        }
    }

    /// <summary>
    /// renewal/NAME.conf is a ConfigObj file: <c>key = value</c> lines, <c>[section]</c> and <c>[[subsection]]</c> headers.
    /// Only the top level and <c>[renewalparams]</c> matter here; both are flattened into one map.
    /// </summary>
    internal static async Task<Dictionary<string, string>?> ReadRenewalConfAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var section = "";
        foreach (var raw in await File.ReadAllLinesAsync(path, cancellationToken))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith('['))
            {
                section = line.Trim('[', ']').Trim();
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || section is not ("" or "renewalparams"))
            {
                continue;
            }

            values[line[..eq].Trim()] = line[(eq + 1)..].Trim();
        }

        return values;
    }

    internal static string? RenewalKeyType(IReadOnlyDictionary<string, string> renewal)
    {
        var type = renewal.GetValueOrDefault("key_type");
        if (type == "ecdsa")
        {
            return renewal.GetValueOrDefault("elliptic_curve", "secp256r1") switch
            {
                "secp256r1" => "ec-p256",
                "secp384r1" => "ec-p384",
                "secp521r1" => "ec-p521",
                var other => "ec-" + other,
            };
        }

        if (type == "rsa" || (type is null && renewal.ContainsKey("rsa_key_size")))
        {
            return "rsa-" + renewal.GetValueOrDefault("rsa_key_size", "2048");
        }

        return null;
    }

    private static X509Certificate2 LoadCertificate(string pem, string directory)
    {
        try
        {
            return X509Certificate2.CreateFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw new CertfleetException($"import: {directory}/cert.pem is not a PEM certificate; check the lineage with 'openssl x509 -in {directory}/cert.pem -noout -text'", e);
        }
    }

    private static List<string> DnsNames(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
            }
        }

        return names;
    }

    private static string? KeyTypeOf(X509Certificate2 certificate)
    {
        using (var ec = certificate.GetECDsaPublicKey())
        {
            if (ec is not null)
            {
                return ec.KeySize switch { 256 => "ec-p256", 384 => "ec-p384", 521 => "ec-p521", var n => "ec-" + n.ToString(CultureInfo.InvariantCulture) };
            }
        }

        using var rsa = certificate.GetRSAPublicKey();
        return rsa is null ? null : "rsa-" + rsa.KeySize.ToString(CultureInfo.InvariantCulture);
    }

    private static string? TryCertId(X509Certificate2 leaf)
    {
        try
        {
            return AriCertId.FromCertificate(leaf).Value;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or CryptographicException)
        {
            return null;
        }
    }
}
