using System.Globalization;
using System.Text;
using Certfleet.Inventory;
using Certfleet.Remote;

namespace Certfleet.Deployment;

/// <summary>A host that mounts the share, with what the inventory knows about it.</summary>
public sealed record ShareClient(SshHost Host, string MountPoint, HostFacts? Facts);

/// <summary>A file the plan writes.</summary>
public sealed record PlannedFile(string Path, string Content, string Mode);

/// <summary>What <c>share setup</c> does on the issuer: the exports entry and the commands.</summary>
public sealed record IssuerSharePlan(string ExportPath, string ExportsFile, string ExportsEntry, IReadOnlyList<string> Commands);

/// <summary>What <c>share setup</c> does on one host; <see cref="Problems"/> explain what cannot be planned.</summary>
public sealed record HostSharePlan(
    string Host,
    string Distribution,
    OsFamily Family,
    string MountPoint,
    string? Package,
    IReadOnlyList<PlannedFile> Files,
    string? FstabLine,
    IReadOnlyList<string> Commands,
    IReadOnlyList<string> Problems);

/// <summary>Distribution-specific NFS plans for the share method (read-only export, root_squash, one client per inventory host).</summary>
public static class ShareSetupPlanner
{
    public const string ExportsFile = "/etc/exports";
    public const string BeginMarker = "# certfleet share: begin (managed by certfleet share setup)";
    public const string EndMarker = "# certfleet share: end";

    /// <summary>Mount options: read-only, nothing executable; a short attribute cache so a new version shows within seconds.</summary>
    public const string MountOptions = "ro,nosuid,nodev,noexec,vers=4.2,actimeo=10,_netdev";

    /// <summary>The SELinux label the files get on RHEL, so web servers may read them (the type of /etc/pki/tls/certs).</summary>
    public const string SeLinuxContext = "system_u:object_r:cert_t:s0";

    public static IssuerSharePlan PlanIssuer(string exportPath, IReadOnlyList<ShareClient> clients)
    {
        ArgumentNullException.ThrowIfNull(clients);

        // Only the inventory hosts may mount; read-only, and root on a client is squashed to nobody (exports(5)).
        var addresses = clients.Select(c => c.Host.Address).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var entry = exportPath + " " + string.Join(' ', addresses.Select(a => $"{a}(ro,root_squash,sync,no_subtree_check,secure)"));
        return new IssuerSharePlan(exportPath, ExportsFile, entry,
        [
            $"install -d -m 0755 {ShellQuote.Quote(exportPath)}",
            $"update the certfleet block of {ExportsFile}",
            "exportfs -ra",
        ]);
    }

    /// <summary>The contents of /etc/exports with the certfleet block replaced (or appended).</summary>
    public static string MergeExports(string? current, string entry)
    {
        var lines = (current ?? "").Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        var begin = lines.IndexOf(BeginMarker);
        var end = lines.IndexOf(EndMarker);
        if (begin >= 0 && end > begin)
        {
            lines.RemoveRange(begin, end - begin + 1);
            lines.InsertRange(begin, [BeginMarker, entry, EndMarker]);
        }
        else
        {
            lines.AddRange([BeginMarker, entry, EndMarker]);
        }

        return string.Join('\n', lines) + "\n";
    }

    public static HostSharePlan PlanHost(ShareClient client, string server, string exportPath)
    {
        ArgumentNullException.ThrowIfNull(client);
        var problems = new List<string>();
        var facts = client.Facts;
        var family = facts?.Os.Family ?? OsFamily.Other;
        var distribution = facts is null ? "unknown" : facts.Os.PrettyName ?? $"{facts.Os.Id} {facts.Os.VersionId}";
        var commands = new List<string>();
        var files = new List<PlannedFile>();
        string? package = null;
        switch (family)
        {
            case OsFamily.Rhel:
                package = "nfs-utils";
                commands.Add($"{(facts!.PackageManager == "yum" ? "yum" : "dnf")} install -y nfs-utils");
                break;
            case OsFamily.Debian:
                package = "nfs-common";
                commands.Add("DEBIAN_FRONTEND=noninteractive apt-get install -y nfs-common");
                break;
            default:
                problems.Add(facts is null
                    ? $"share: no facts for {client.Host.Name}; run certfleet inventory first or check that it is reachable"
                    : $"share: {distribution} is neither Debian- nor RHEL-like; install its NFS client by hand");
                break;
        }

        var selinux = family == OsFamily.Rhel && facts?.SeLinux is "Enforcing" or "Permissive";
        var options = selinux ? $"{MountOptions},context=\"{SeLinuxContext}\"" : MountOptions;
        var what = $"{server}:{exportPath}";
        commands.Add($"install -d -m 0755 {ShellQuote.Quote(client.MountPoint)}");
        string? fstab = null;
        if (facts?.Systemd ?? true)
        {
            var unit = MountUnitName(client.MountPoint);
            files.Add(new PlannedFile($"/etc/systemd/system/{unit}", MountUnit(what, client.MountPoint, options, server), "0644"));
            commands.Add("systemctl daemon-reload");
            commands.Add($"systemctl enable --now {unit}");
        }
        else
        {
            fstab = $"{what} {client.MountPoint} nfs {options} 0 0";
            commands.Add($"append to /etc/fstab: {fstab}");
            commands.Add($"mount {ShellQuote.Quote(client.MountPoint)}");
        }

        if (selinux)
        {
            // The context= option labels the mount as certificates; the boolean covers servers that read other NFS files.
            commands.Add("setsebool -P httpd_use_nfs 1");
        }

        return new HostSharePlan(client.Host.Name, distribution, family, client.MountPoint, package, files, fstab, commands, problems);
    }

    /// <summary>systemd.mount(5) requires the unit to be named after its mount point, escaped as systemd-escape --path does.</summary>
    public static string MountUnitName(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var trimmed = path.Trim('/');
        if (trimmed.Length == 0)
        {
            return "-.mount";
        }

        var sb = new StringBuilder();
        for (var i = 0; i < trimmed.Length; i++)
        {
            var c = trimmed[i];
            if (c == '/')
            {
                sb.Append('-');
            }
            else if (char.IsAsciiLetterOrDigit(c) || c == '_' || (c == '.' && i > 0))
            {
                sb.Append(c);
            }
            else
            {
                foreach (var b in Encoding.UTF8.GetBytes(c.ToString()))
                {
                    sb.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}");
                }
            }
        }

        return sb + ".mount";
    }

    public static string MountUnit(string what, string where, string options, string server) => $"""
        [Unit]
        Description=certfleet certificates shared by {server}
        Wants=network-online.target
        After=network-online.target

        [Mount]
        What={what}
        Where={where}
        Type=nfs
        Options={options}

        [Install]
        WantedBy=remote-fs.target

        """;
}
