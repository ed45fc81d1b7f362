using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Certfleet.Store;

/// <summary>
/// What an issuance produced. PEM text as received or generated; <see cref="ChainPem"/> may be empty
/// (self-signed), <see cref="FullChainPem"/> must start with the leaf certificate.
/// </summary>
public sealed record CertificateBundle(
    string CertificatePem,
    string ChainPem,
    string FullChainPem,
    string PrivateKeyPem,
    CertificateMetadata Metadata)
{
    // Records print every property; the key must never reach a log line through ToString().
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Metadata = ").Append(Metadata).Append(", PrivateKeyPem = <redacted>");
        return true;
    }
}

/// <summary>
/// Per-version facts kept in <c>archive/NAME/NNNN/meta.json</c>. On save the store fills <see cref="Name"/>,
/// <see cref="KeyType"/>, <see cref="SerialNumber"/>, <see cref="NotBefore"/>, <see cref="NotAfter"/>,
/// <see cref="Issuer"/>, <see cref="Subject"/>, <see cref="DnsNames"/>, <see cref="Sha256Fingerprint"/> from the certificate itself, <see cref="CreatedAt"/> from its clock when unset, and
/// <see cref="Domains"/> from the SAN DNS names when empty. Unknown JSON members survive in <see cref="Extensions"/>.
/// </summary>
public sealed record CertificateMetadata
{
    /// <summary>Lineage name.</summary>
    public string Name { get; init; } = "";
    /// <summary>Requested identifiers, e.g. <c>example.com</c>, <c>*.example.com</c>.</summary>
    public IReadOnlyList<string> Domains { get; init; } = [];
    /// <summary><c>ec-p256</c>, <c>ec-p384</c>, <c>ec-p521</c>, <c>rsa-2048</c>, <c>rsa-3072</c>, <c>rsa-4096</c>...</summary>
    public string KeyType { get; init; } = "";
    /// <summary>Serial number, big-endian upper-case hex.</summary>
    public string SerialNumber { get; init; } = "";
    /// <summary>Start of validity (UTC).</summary>
    public DateTimeOffset NotBefore { get; init; }
    /// <summary>End of validity (UTC).</summary>
    public DateTimeOffset NotAfter { get; init; }
    /// <summary>Issuer distinguished name.</summary>
    public string Issuer { get; init; } = "";
    /// <summary>Subject distinguished name.</summary>
    public string? Subject { get; init; }
    /// <summary>SAN DNS names of the certificate as issued (<see cref="Domains"/> is what was asked for).</summary>
    public IReadOnlyList<string>? DnsNames { get; init; }
    /// <summary>
    /// SHA-256 of the DER certificate, upper-case hex. It binds the facts above to <c>cert.pem</c>: readers take them
    /// from here only while it matches the certificate, and parse the certificate otherwise.
    /// </summary>
    public string? Sha256Fingerprint { get; init; }
    /// <summary>ACME order URL.</summary>
    public string? OrderUrl { get; init; }
    /// <summary>ACME account URL (kid).</summary>
    public string? AccountUrl { get; init; }
    /// <summary>ACME directory URL.</summary>
    public string? DirectoryUrl { get; init; }
    /// <summary>ARI CertID (RFC 9773 §4.1), <c>base64url(AKI).base64url(serial)</c>.</summary>
    public string? AriCertId { get; init; }
    /// <summary>When this version was stored.</summary>
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>Members this version of certfleet does not know; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}

/// <summary>Paths of one version's files. For <see cref="StoredCertificate.LiveFiles"/> they go through the <c>live/NAME</c> symlink.</summary>
public sealed record CertificateFiles(string Directory, string Certificate, string Chain, string FullChain, string PrivateKey)
{
    internal static CertificateFiles In(string directory) => new(
        directory,
        Path.Combine(directory, CertificateStore.CertificateFileName),
        Path.Combine(directory, CertificateStore.ChainFileName),
        Path.Combine(directory, CertificateStore.FullChainFileName),
        Path.Combine(directory, CertificateStore.PrivateKeyFileName));
}

/// <summary>One stored version of a lineage with the facts parsed from its certificate.</summary>
/// <param name="Name">Lineage name.</param>
/// <param name="Version">Version number (directory <c>archive/NAME/NNNN</c>).</param>
/// <param name="IsCurrent">Whether <c>live/NAME</c> pointed at this version when it was read.</param>
/// <param name="LiveFiles">Stable paths under <c>live/NAME/</c> (what web servers are configured with).</param>
/// <param name="VersionFiles">Paths inside this version's archive directory; copy from these to get one consistent set.</param>
/// <param name="SerialNumber">Serial number, big-endian upper-case hex.</param>
/// <param name="NotBefore">Start of validity (UTC).</param>
/// <param name="NotAfter">End of validity (UTC).</param>
/// <param name="DnsNames">SAN DNS names.</param>
/// <param name="KeyType">Key type of the certificate's public key, e.g. <c>ec-p256</c>, <c>rsa-2048</c>.</param>
/// <param name="Issuer">Issuer distinguished name.</param>
/// <param name="Subject">Subject distinguished name.</param>
/// <param name="Sha256Fingerprint">SHA-256 of the DER certificate, upper-case hex.</param>
/// <param name="Metadata">Contents of <c>meta.json</c>.</param>
public sealed record StoredCertificate(
    string Name,
    int Version,
    bool IsCurrent,
    CertificateFiles LiveFiles,
    CertificateFiles VersionFiles,
    string SerialNumber,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    IReadOnlyList<string> DnsNames,
    string KeyType,
    string Issuer,
    string Subject,
    string Sha256Fingerprint,
    CertificateMetadata Metadata);

/// <summary>A lineage as read in bulk: its current version (null when it has none) and its renewal state (null when none was written).</summary>
public sealed record LineageSnapshot(string Name, StoredCertificate? Current, LineageState? State);

/// <summary>
/// Renewal bookkeeping of one lineage, in <c>renewal/NAME.json</c>. Unknown JSON members survive in <see cref="Extensions"/>,
/// so later versions can add fields without a migration.
/// </summary>
public sealed record LineageState
{
    /// <summary>Lineage name.</summary>
    public required string Name { get; init; }
    /// <summary>When the last renewal attempt started.</summary>
    public DateTimeOffset? LastAttemptAt { get; init; }
    /// <summary>When a renewal last succeeded.</summary>
    public DateTimeOffset? LastSuccessAt { get; init; }
    /// <summary>Consecutive failed attempts.</summary>
    public int FailureCount { get; init; }
    /// <summary>No attempt before this time.</summary>
    public DateTimeOffset? BackoffUntil { get; init; }
    /// <summary>Message of the last failure (never key material).</summary>
    public string? LastError { get; init; }
    /// <summary>Other fields, kept as JSON.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}

/// <summary>An ACME account as stored under <c>accounts/HOST/HASH/</c>. The store does not interpret the key.</summary>
/// <param name="DirectoryUrl">ACME directory URL.</param>
/// <param name="AccountUrl">Account URL, used as JWS <c>kid</c>.</param>
/// <param name="Contacts">Contact URIs (<c>mailto:</c>).</param>
/// <param name="PrivateKeyPem">Account key, PKCS#8 PEM (<c>BEGIN PRIVATE KEY</c>).</param>
public sealed record StoredAccount(string DirectoryUrl, string AccountUrl, IReadOnlyList<string> Contacts, string PrivateKeyPem)
{
    /// <summary>When the account was first stored; set by the store when left at default.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("DirectoryUrl = ").Append(DirectoryUrl)
            .Append(", AccountUrl = ").Append(AccountUrl)
            .Append(", Contacts = [").Append(string.Join(", ", Contacts)).Append(']')
            .Append(", PrivateKeyPem = <redacted>, CreatedAt = ").Append(CreatedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        return true;
    }
}

/// <summary>A DNS record certfleet may have created and must remove; <see cref="Payload"/> is the provider's own handle.</summary>
/// <param name="Id">Caller-chosen unique id (any string).</param>
/// <param name="Provider">DNS provider name, to route the clean-up.</param>
/// <param name="CreatedAt">When the entry was first written.</param>
/// <param name="Payload">Opaque JSON owned by the provider.</param>
public sealed record PendingRecordEntry(string Id, string Provider, DateTimeOffset CreatedAt, JsonElement Payload)
{
    /// <summary>The payload as compact JSON text (the file itself is indented).</summary>
    [JsonIgnore]
    public string PayloadJson
    {
        get
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                Payload.WriteTo(writer);
            }

            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
    }
}

/// <summary>Who holds the run lock, as written inside <c>certfleet.lock</c>.</summary>
public sealed record RunLockHolder(int ProcessId, string HostName, DateTimeOffset StartedAt);

internal sealed record AccountFile(string DirectoryUrl, string AccountUrl, IReadOnlyList<string> Contacts, DateTimeOffset CreatedAt);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CertificateMetadata))]
[JsonSerializable(typeof(LineageState))]
[JsonSerializable(typeof(AccountFile))]
[JsonSerializable(typeof(PendingRecordEntry))]
[JsonSerializable(typeof(RunLockHolder))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
