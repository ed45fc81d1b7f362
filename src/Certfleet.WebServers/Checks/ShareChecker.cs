using Certfleet.Remote;

namespace Certfleet.WebServers.Checks;

/// <summary>What a host that reads certificates from a share must see: the mount and the files the issuer wrote.</summary>
/// <param name="FsType">Expected filesystem type as findmnt prints it (nfs4, fuse.sshfs, cifs); null for any.</param>
/// <param name="ExpectedSha256">Absolute path on the host → SHA-256 (hex, any case) of the issuer's copy.</param>
public sealed record ShareExpectation(string MountPoint, string? FsType, IReadOnlyDictionary<string, string> ExpectedSha256);

/// <summary>Checks a share mount read-only: present (findmnt), of the expected type, mounted ro, files equal to the issuer's.</summary>
public static class ShareChecker
{
    private const string MountScript = WebServerDetector.PathPrefix + "findmnt -n -o FSTYPE,OPTIONS --mountpoint \"$1\" || exit 3";

    private const string HashScript = "for f in \"$@\"; do if [ -r \"$f\" ]; then sha256sum -- \"$f\"; else echo \"missing $f\"; fi; done; exit 0";

    public static async Task<IReadOnlyList<CheckFinding>> CheckAsync(IRemoteHost host, string hostName, ShareExpectation share, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(share);
        var sink = new FindingSink(hostName, "share");
        var mount = await host.RunAsync(RemoteCommand.Script(MountScript, share.MountPoint), cancellationToken);
        if (!mount.Succeeded)
        {
            sink.Error("share-not-mounted", null, $"{share.MountPoint} is not a mount point on {hostName}", $"mount the share on {share.MountPoint} (and add it to /etc/fstab), then run the check again");
            return sink.Items;
        }

        var fields = mount.Stdout.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        var type = fields.ElementAtOrDefault(0) ?? "";
        var options = (fields.ElementAtOrDefault(1) ?? "").Split(',');
        if (share.FsType is { } expected && !string.Equals(type, expected, StringComparison.Ordinal))
        {
            sink.Error("share-type", null, $"{share.MountPoint} is a {type} mount, not {expected}", $"mount the certificate share ({expected}) on {share.MountPoint}, not another filesystem");
        }

        if (!options.Contains("ro"))
        {
            sink.Error("share-writable", null, $"{share.MountPoint} is mounted read-write", $"mount it read-only (option ro): web servers must not be able to change the certificates");
        }

        if (share.ExpectedSha256.Count > 0)
        {
            var paths = share.ExpectedSha256.Keys.ToArray();
            var hashes = await host.RunAsync(RemoteCommand.Script(HashScript, paths), cancellationToken);
            var seen = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in hashes.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.StartsWith("missing ", StringComparison.Ordinal))
                {
                    continue;
                }

                var sp = line.IndexOf(' ', StringComparison.Ordinal);
                if (sp > 0)
                {
                    seen[line[(sp + 2)..]] = line[..sp];
                }
            }

            foreach (var (path, sha) in share.ExpectedSha256)
            {
                if (!seen.TryGetValue(path, out var actual))
                {
                    sink.Error("share-file-missing", new ConfigLocation(path, 0), $"{path} is missing or unreadable on the share", "check the export and the issuer's copy; deploy again");
                }
                else if (!actual.Equals(sha, StringComparison.OrdinalIgnoreCase))
                {
                    sink.Error("share-stale", new ConfigLocation(path, 0), $"{path} differs from the issuer's copy (SHA-256 {actual[..12]}…, expected {sha[..Math.Min(12, sha.Length)]}…)",
                        "the share serves an old or foreign version: check the mount's cache (actimeo) and the issuer's export");
                }
            }
        }

        return sink.Items;
    }
}
