using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Certfleet.Store;

namespace Certfleet.Deployment;

/// <summary>One file of a deployed version; keys are 0640 so the group (the web server) reads them and no one else.</summary>
public sealed record PackageFile(string Name, byte[] Content, UnixFileMode Mode)
{
    public bool IsSecret => Name is DeployPackage.PrivateKey or DeployPackage.Keystore;

    public override string ToString() => $"{Name} ({Content.Length} bytes)";
}

/// <summary>What <c>manifest.json</c> of a version says: hosts and the tests compare it with what they read.</summary>
public sealed record DeployManifest(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("serial")] string Serial,
    [property: JsonPropertyName("notAfter")] DateTimeOffset NotAfter,
    [property: JsonPropertyName("files")] IReadOnlyDictionary<string, string> Sha256)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static DeployManifest? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<DeployManifest>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// The files of one certificate version as every host sees them: the names of <c>live/</c>, plus keystore.p12
/// when Tomcat needs one, plus the manifest. The directory name of a version is its serial, so a version
/// is written once and never changes.
/// </summary>
public sealed record DeployPackage(string Name, string Version, string Serial, IReadOnlyList<PackageFile> Files, DeployManifest Manifest)
{
    public const string Certificate = "cert.pem";
    public const string Chain = "chain.pem";
    public const string FullChain = "fullchain.pem";
    public const string PrivateKey = "privkey.pem";
    public const string Keystore = "keystore.p12";
    public const string ManifestFile = "manifest.json";

    /// <summary>Names that stable links in NAME/ point to through <c>current</c>.</summary>
    public static readonly IReadOnlyList<string> LinkedNames = [Certificate, Chain, FullChain, PrivateKey, Keystore, ManifestFile];

    private const UnixFileMode Public = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    public static DeployPackage Create(string name, CertificateBundle bundle, TomcatOptions? tomcat)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        using var leaf = X509Certificate2.CreateFromPem(bundle.CertificatePem);
        var serial = Convert.ToHexString(leaf.SerialNumberBytes.Span);
        var files = new List<PackageFile>
        {
            new(Certificate, Encoding.ASCII.GetBytes(bundle.CertificatePem), Public),
            new(Chain, Encoding.ASCII.GetBytes(bundle.ChainPem), Public),
            new(FullChain, Encoding.ASCII.GetBytes(bundle.FullChainPem), Public),
            new(PrivateKey, Encoding.ASCII.GetBytes(bundle.PrivateKeyPem), Private),
        };
        if (tomcat is { Pkcs12: true, Password: { } password })
        {
            files.Add(new(Keystore, Pkcs12Writer.Write(bundle.CertificatePem, bundle.ChainPem, bundle.PrivateKeyPem, password.Reveal(), tomcat.Alias), Private));
        }

        var hashes = files.ToDictionary(f => f.Name, f => Convert.ToHexStringLower(SHA256.HashData(f.Content)), StringComparer.Ordinal);
        var manifest = new DeployManifest(name, serial, serial, leaf.NotAfter.ToUniversalTime(), hashes);
        files.Add(new(ManifestFile, manifest.ToJson(), Public));
        return new DeployPackage(name, serial, serial, files, manifest);
    }

    /// <summary>Checks files against a manifest; returns the names that differ or are missing.</summary>
    public static IReadOnlyList<string> Verify(DeployManifest manifest, IReadOnlyDictionary<string, byte[]> files)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(files);
        return manifest.Sha256
            .Where(kv => !files.TryGetValue(kv.Key, out var content) || !string.Equals(Convert.ToHexStringLower(SHA256.HashData(content)), kv.Value, StringComparison.Ordinal))
            .Select(kv => kv.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    internal static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0').ToString(CultureInfo.InvariantCulture);
}
