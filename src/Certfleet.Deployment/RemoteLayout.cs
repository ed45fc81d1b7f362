using Certfleet.Remote;

namespace Certfleet.Deployment;

/// <summary>
/// The layout of PATH/NAME on a host (push) and of exportPath/NAME on the issuer (share), the same for both:
/// <c>versions/SERIAL/</c> holds each version, <c>current</c> and <c>previous</c> are relative symlinks to versions,
/// and <c>cert.pem</c>, <c>fullchain.pem</c>, ... are fixed links through <c>current</c>. Switching is one rename(2)
/// of <c>current</c>, so a reader sees the old set or the new one, never half of each. Relative links resolve the
/// same on the issuer and through an NFS mount.
/// </summary>
public static class RemoteLayout
{
    /// <summary>$1 base, $2 staging dir, $3 user that writes into staging over SFTP.</summary>
    public const string PrepareScript = """
        set -eu
        mkdir -p "$1/versions"
        chmod 0755 "$1" "$1/versions"
        rm -rf "$2"
        install -d -m 0700 -o "$3" "$2"
        """;

    /// <summary>$1 base, $2 staging dir, $3 version, $4 owner, $5 group. Prints "previous VERSION".</summary>
    public const string InstallScript = """
        set -eu
        base=$1 st=$2 v=$3
        chown -h "$4:$5" "$st"/*
        chown root:root "$st"; chmod 0755 "$st"
        if [ -f "$base/versions/$v/manifest.json" ]; then rm -rf "$st"; else rm -rf "$base/versions/$v"; mv -T "$st" "$base/versions/$v"; fi
        cur=$(readlink "$base/current" 2>/dev/null || true)
        for f in cert.pem chain.pem fullchain.pem privkey.pem keystore.p12 manifest.json; do
          if [ -e "$base/versions/$v/$f" ] && [ ! -L "$base/$f" ]; then rm -f "$base/$f"; ln -s "current/$f" "$base/$f"; fi
        done
        if [ "$cur" != "versions/$v" ]; then
          if [ -n "$cur" ]; then ln -sfn "$cur" "$base/.previous.tmp"; mv -T "$base/.previous.tmp" "$base/previous"; fi
          ln -sfn "versions/$v" "$base/.current.tmp"; mv -T "$base/.current.tmp" "$base/current"
        fi
        echo "previous ${cur#versions/}"
        """;

    /// <summary>$1 base, $2 version to restore. Switches current back.</summary>
    public const string RestoreScript = """
        set -eu
        [ -f "$1/versions/$2/manifest.json" ] || { echo "version $2 is not in $1/versions" >&2; exit 3; }
        ln -sfn "versions/$2" "$1/.current.tmp"; mv -T "$1/.current.tmp" "$1/current"
        """;

    /// <summary>$1 base. Prints the current version and the manifest (empty when none).</summary>
    public const string ReadScript = """
        cur=$(readlink "$1/current" 2>/dev/null || true)
        echo "current ${cur#versions/}"
        cat "$1/manifest.json" 2>/dev/null
        exit 0
        """;

    /// <summary>$1 base, $2 number of versions to keep; removes older ones (never current or previous).</summary>
    public const string PruneScript = """
        cd "$1/versions" 2>/dev/null || exit 0
        cur=$(readlink ../current 2>/dev/null | sed 's|^versions/||'); prev=$(readlink ../previous 2>/dev/null | sed 's|^versions/||')
        ls -1t | tail -n +$(( $2 + 1 )) | while read -r v; do [ "$v" = "$cur" ] || [ "$v" = "$prev" ] || rm -rf -- "$v"; done
        exit 0
        """;

    /// <summary>
    /// $1 base, $2 staging dir, $3 version, $4 owner, $5 group, $6 versions to keep, $7 login user, $8 to $10 the
    /// prepare, install and prune scripts. Prepares the staging dir, unpacks the tar archive read from standard input
    /// into it, installs and prunes: one command instead of a second (SFTP) connection and five round trips.
    /// Each step is a sh of its own so that its set -e holds. Exit 3: prepare failed, 4: unpacking, 5: install.
    /// </summary>
    public const string PushScript = """
        base=$1 st=$2 v=$3 owner=$4 group=$5 keep=$6 user=$7 prune=${10}
        sh -c "$8" sh "$base" "$st" "$user" || exit 3
        tar -x -p -o -f - -C "$st" || { rm -rf "$st"; echo "cannot unpack the files into $st" >&2; exit 4; }
        sh -c "$9" sh "$base" "$st" "$v" "$owner" "$group" || { rm -rf "$st"; exit 5; }
        sh -c "$prune" sh "$base" "$keep"
        exit 0
        """;

    /// <summary>The push in one command; its standard input is <see cref="Archive"/> of the files.</summary>
    public static RemoteCommand Push(string baseDir, string staging, string version, string owner, string group, int keep, string user) =>
        RemoteCommand.Script(PushScript, baseDir, staging, version, owner, group, keep.ToString(System.Globalization.CultureInfo.InvariantCulture), user,
            PrepareScript, InstallScript, PruneScript);

    /// <summary>A ustar archive of the files with their modes, for <see cref="PushScript"/>'s standard input.</summary>
    public static byte[] Archive(IEnumerable<PackageFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        using var buffer = new MemoryStream();
        using (var tar = new System.Formats.Tar.TarWriter(buffer, System.Formats.Tar.TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var file in files)
            {
                tar.WriteEntry(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, file.Name)
                {
                    Mode = file.Mode,
                    ModificationTime = DateTimeOffset.UtcNow,
                    DataStream = new MemoryStream(file.Content, writable: false),
                });
            }
        }

        return buffer.ToArray();
    }

    public static RemoteCommand Prepare(string baseDir, string staging, string user) => RemoteCommand.Script(PrepareScript, baseDir, staging, user);

    public static RemoteCommand Install(string baseDir, string staging, string version, string owner, string group) =>
        RemoteCommand.Script(InstallScript, baseDir, staging, version, owner, group);

    public static RemoteCommand Restore(string baseDir, string version) => RemoteCommand.Script(RestoreScript, baseDir, version);

    public static RemoteCommand Read(string baseDir) => RemoteCommand.Script(ReadScript, baseDir);

    public static RemoteCommand Prune(string baseDir, int keep) => RemoteCommand.Script(PruneScript, baseDir, keep.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Parses the output of <see cref="ReadScript"/>.</summary>
    public static (string? Current, DeployManifest? Manifest) ParseRead(string stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        var newline = stdout.IndexOf('\n', StringComparison.Ordinal);
        var first = newline < 0 ? stdout : stdout[..newline];
        var current = first.StartsWith("current ", StringComparison.Ordinal) ? first[8..].Trim() : "";
        var rest = newline < 0 ? "" : stdout[(newline + 1)..];
        return (current.Length == 0 ? null : current, rest.Trim().Length == 0 ? null : DeployManifest.Parse(System.Text.Encoding.UTF8.GetBytes(rest)));
    }
}
