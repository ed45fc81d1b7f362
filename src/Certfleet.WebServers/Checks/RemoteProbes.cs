using System.Globalization;
using Certfleet.Remote;

namespace Certfleet.WebServers.Checks;

/// <summary>Owner, mode and label of a file on a host.</summary>
/// <param name="Mode">Permission bits as printed by stat %a (octal), e.g. 600.</param>
/// <param name="Label">SELinux context, when the host has SELinux tools.</param>
public sealed record RemoteFileInfo(string Path, int Mode, int Uid, int Gid, string Owner, string Group, long Size, DateTimeOffset Modified, string? Label)
{
    public bool WorldReadable => (Mode & 0x4) != 0;

    public bool GroupReadable => (Mode & 0x20) != 0;

    /// <summary>Decides by the permission bits whether a user with these ids may read the file (root always may).</summary>
    public bool ReadableBy(int uid, IReadOnlyCollection<int> gids) =>
        uid == 0 || (uid == Uid ? (Mode & 0x100) != 0 : gids.Contains(Gid) ? (Mode & 0x20) != 0 : (Mode & 0x4) != 0);
}

/// <summary>A process of a web server: its user and when it started (for "reload pending").</summary>
public sealed record ServerProcess(string Command, string User, DateTimeOffset Started);

/// <summary>Read-only probes run on a host with fixed scripts; paths are positional parameters.</summary>
public static class RemoteProbes
{
    private const string StatScript = """
        [ -e "$1" ] || { echo missing; exit 0; }
        echo "stat $(stat -L -c '%a %u %g %U %G %s %Y' -- "$1")"
        command -v getenforce >/dev/null 2>&1 && echo "label $(stat -L -c %C -- "$1" 2>/dev/null)"
        exit 0
        """;

    private const string ReadScript =
        "[ -e \"$1\" ] || exit 3; [ -r \"$1\" ] || exit 4; s=$(wc -c < \"$1\"); [ \"$s\" -gt \"$2\" ] && { echo \"$s\"; exit 5; }; base64 -w0 -- \"$1\"";

    // The private key stays on the host: only its public half comes back.
    private const string PublicKeyScript = "openssl pkey -in \"$1\" -passin pass: -pubout -outform DER 2>&1 | base64 -w0; exit 0";

    private const string ProcessScript = """
        bt=$(awk '/^btime/{print $2}' /proc/stat); hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
        for d in /proc/[0-9]*; do
          c=$(cat "$d/comm" 2>/dev/null) || continue
          case "$c" in nginx|httpd|apache2|java)
            s=$(sed 's/.*) //' "$d/stat" 2>/dev/null | awk '{print $20}') || continue
            [ -n "$s" ] && echo "$c $(stat -c %U "$d") $((bt + s / hz))";;
          esac
        done
        exit 0
        """;

    public static async Task<RemoteFileInfo?> StatAsync(IRemoteHost host, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var r = await host.RunAsync(RemoteCommand.Script(StatScript, path), cancellationToken);
        string? label = null;
        RemoteFileInfo? info = null;
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("stat ", StringComparison.Ordinal))
            {
                var f = line[5..].Split(' ');
                if (f.Length >= 7)
                {
                    info = new RemoteFileInfo(path, Convert.ToInt32(f[0], 8), Int(f[1]), Int(f[2]), f[3], f[4], long.Parse(f[5], CultureInfo.InvariantCulture),
                        DateTimeOffset.FromUnixTimeSeconds(long.Parse(f[6], CultureInfo.InvariantCulture)), null);
                }
            }
            else if (line.StartsWith("label ", StringComparison.Ordinal))
            {
                label = line[6..].Trim() is { Length: > 0 } l && l != "?" ? l : null;
            }
        }

        return info is null ? null : info with { Label = label };
    }

    /// <summary>Reads a file's bytes; the problem (missing, unreadable, too large) comes back instead of an exception.</summary>
    public static async Task<(byte[]? Bytes, string? Problem)> ReadBytesAsync(IRemoteHost host, string path, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var r = await host.RunAsync(RemoteCommand.Script(ReadScript, path, maxBytes.ToString(CultureInfo.InvariantCulture)), cancellationToken);
        return r.ExitCode switch
        {
            0 => TryBase64(r.Stdout, path),
            3 => (null, $"{path} does not exist"),
            4 => (null, $"{path} is not readable by the SSH user"),
            5 => (null, $"{path} is {r.Stdout.Trim()} bytes, more than the {maxBytes} read"),
            _ => (null, $"cannot read {path}: {r.Stderr.Trim()}"),
        };
    }

    /// <summary>The DER SubjectPublicKeyInfo of a private key file, computed on the host by openssl; or the reason it failed.</summary>
    public static async Task<(byte[]? Spki, string? Problem)> PublicKeyOfAsync(IRemoteHost host, string keyPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var r = await host.RunAsync(RemoteCommand.Script(PublicKeyScript, keyPath), cancellationToken);
        var (bytes, _) = TryBase64(r.Stdout, keyPath);
        if (bytes is null || bytes.Length == 0 || bytes[0] != 0x30)
        {
            var text = bytes is null ? r.Stderr : System.Text.Encoding.UTF8.GetString(bytes);
            return (null, $"openssl cannot read the key {keyPath}: {text.Split('\n').FirstOrDefault()?.Trim()}");
        }

        return (bytes, null);
    }

    /// <summary>The running nginx, httpd, apache2 and java processes.</summary>
    public static async Task<IReadOnlyList<ServerProcess>> ProcessesAsync(IRemoteHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var r = await host.RunAsync(RemoteCommand.Script(ProcessScript), cancellationToken);
        var list = new List<ServerProcess>();
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ');
            if (f.Length == 3 && long.TryParse(f[2], CultureInfo.InvariantCulture, out var t))
            {
                list.Add(new ServerProcess(f[0], f[1], DateTimeOffset.FromUnixTimeSeconds(t)));
            }
        }

        return list;
    }

    /// <summary>uid and group ids of a user on the host; null when the user does not exist.</summary>
    public static async Task<(int Uid, IReadOnlyList<int> Gids)?> UserIdsAsync(IRemoteHost host, string user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var r = await host.RunAsync(RemoteCommand.Script("id -u -- \"$1\" && id -G -- \"$1\"", user), cancellationToken);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (!r.Succeeded || lines.Length < 2 || !int.TryParse(lines[0], CultureInfo.InvariantCulture, out var uid))
        {
            return null;
        }

        return (uid, lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Int).ToList());
    }

    private static (byte[]?, string?) TryBase64(string text, string path)
    {
        try
        {
            return (Convert.FromBase64String(text.Trim()), null);
        }
        catch (FormatException)
        {
            return (null, $"cannot read {path}: unexpected answer");
        }
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);
}
