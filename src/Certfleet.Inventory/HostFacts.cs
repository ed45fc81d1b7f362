using Certfleet.Remote;
using Certfleet.WebServers;

namespace Certfleet.Inventory;

/// <summary>Distribution families that decide layouts and service names.</summary>
public enum OsFamily
{
    Other,
    Debian,
    Rhel,
}

/// <summary>The fields of /etc/os-release (os-release(5)) that certfleet uses.</summary>
public sealed record OsRelease(string Id, IReadOnlyList<string> IdLike, string? VersionId, string? PrettyName, OsFamily Family)
{
    public static OsRelease Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (line.StartsWith('#') || eq <= 0)
            {
                continue;
            }

            var value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && (value[0] is '"' or '\'') && value[^1] == value[0])
            {
                value = value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal).Replace("\\$", "$", StringComparison.Ordinal).Replace("\\`", "`", StringComparison.Ordinal);
            }

            values[line[..eq]] = value;
        }

        var id = values.GetValueOrDefault("ID", "linux").ToLowerInvariant();
        var like = values.GetValueOrDefault("ID_LIKE", "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => s.ToLowerInvariant()).ToList();
        string[] all = [id, .. like];
        var family = all.Any(s => s is "rhel" or "centos" or "fedora") ? OsFamily.Rhel
            : all.Any(s => s is "debian" or "ubuntu") ? OsFamily.Debian : OsFamily.Other;
        return new OsRelease(id, like, values.GetValueOrDefault("VERSION_ID"), values.GetValueOrDefault("PRETTY_NAME"), family);
    }
}

/// <summary>What a host is: distribution, service manager, package manager, SELinux.</summary>
/// <param name="InitSystem">The name of PID 1 (<c>systemd</c>, or e.g. <c>init</c>, <c>bash</c> in a container).</param>
/// <param name="SeLinux">Enforcing, Permissive or Disabled; null when getenforce is absent.</param>
public sealed record HostFacts(OsRelease Os, string InitSystem, bool Systemd, string? PackageManager, string? SeLinux);

/// <summary>The certificate a TLS endpoint actually served to a handshake from the controller.</summary>
public sealed record ServedCertificate(
    string Subject,
    IReadOnlyList<string> Names,
    string Issuer,
    string Serial,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string Sha256);

/// <summary>A configured endpoint with what it served (or why that could not be seen).</summary>
public sealed record EndpointInventory(TlsEndpoint Config, ServedCertificate? Served, string? ProbeError);

public sealed record WebServerInventory(WebServerInfo Server, IReadOnlyList<EndpointInventory> Endpoints);

public enum HostStatus
{
    Ok,
    Failed,
}

/// <summary>
/// The inventory of one host: facts and web servers, or the failure and its fix. Findings are problems
/// that did not stop the scan (a broken config file, a command that failed).
/// </summary>
public sealed record HostInventory(
    string Name,
    string Address,
    int Port,
    HostStatus Status,
    HostFailure? Failure,
    HostFacts? Facts,
    IReadOnlyList<WebServerInventory> WebServers,
    IReadOnlyList<string> Findings,
    DateTimeOffset ScannedAt);
