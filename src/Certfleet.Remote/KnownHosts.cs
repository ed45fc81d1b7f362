using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Certfleet.Remote;

/// <summary>One usable line of an OpenSSH known_hosts file.</summary>
public sealed record KnownHostEntry(int Line, string Patterns, string KeyType, byte[] Key, bool Revoked)
{
    public string Fingerprint => KnownHosts.Fingerprint(Key);
}

/// <summary>How a presented host key compares with the known_hosts file.</summary>
public enum HostKeyStatus
{
    Trusted,
    Unknown,
    Changed,
    Revoked,
}

public sealed record HostKeyCheck(HostKeyStatus Status, KnownHostEntry? Recorded);

/// <summary>
/// An OpenSSH known_hosts file (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): plain and negated patterns
/// with * and ?, <c>[host]:port</c> for ports other than 22, hashed <c>|1|salt|hmac</c> names and the @revoked marker.
/// </summary>
public sealed class KnownHosts
{
    private readonly List<KnownHostEntry> _entries;

    private KnownHosts(string path, List<KnownHostEntry> entries)
    {
        Path = path;
        _entries = entries;
    }

    public string Path { get; }

    public IReadOnlyList<KnownHostEntry> Entries => _entries;

    /// <summary>Reads the file; a missing file is an empty list (every host is then unknown).</summary>
    public static KnownHosts Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.Exists(path) ? File.ReadAllText(path) : "", path);
    }

    public static KnownHosts Parse(string text, string path = "known_hosts")
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<KnownHostEntry>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var revoked = false;
            var f = 0;
            if (fields[0].StartsWith('@'))
            {
                if (fields[0] == "@revoked")
                {
                    revoked = true;
                }
                else
                {
                    continue; // @cert-authority lines sign host certificates; certfleet checks plain keys only.
                }

                f = 1;
            }

            if (fields.Length < f + 3)
            {
                continue;
            }

            try
            {
                entries.Add(new KnownHostEntry(i + 1, fields[f], fields[f + 1], Convert.FromBase64String(fields[f + 2]), revoked));
            }
            catch (FormatException)
            {
                // A damaged line is skipped like ssh does; it can only make a host unknown, never trusted.
            }
        }

        return new KnownHosts(path, entries);
    }

    /// <summary>The name known_hosts uses for a host: <c>host</c> on port 22, <c>[host]:port</c> otherwise.</summary>
    public static string HostName(string address, int port) =>
        port == 22 ? address : $"[{address}]:{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>OpenSSH's SHA256 fingerprint: <c>SHA256:</c> and unpadded base64 of the key blob.</summary>
    public static string Fingerprint(byte[] key) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(key)).TrimEnd('=');

    /// <summary>Key type written inside an SSH public key blob (RFC 4253 §6.6).</summary>
    public static string KeyTypeOf(byte[] blob)
    {
        ArgumentNullException.ThrowIfNull(blob);
        if (blob.Length < 4)
        {
            return "unknown";
        }

        var len = (blob[0] << 24) | (blob[1] << 16) | (blob[2] << 8) | blob[3];
        return len > 0 && len <= blob.Length - 4 ? Encoding.ASCII.GetString(blob, 4, len) : "unknown";
    }

    /// <summary>The entries that name <paramref name="address"/>:<paramref name="port"/>.</summary>
    public IEnumerable<KnownHostEntry> For(string address, int port)
    {
        var name = HostName(address, port);
        return _entries.Where(e => Matches(e.Patterns, name));
    }

    public HostKeyCheck Check(string address, int port, byte[] presented)
    {
        ArgumentNullException.ThrowIfNull(presented);
        var matching = For(address, port).ToList();
        if (matching.FirstOrDefault(e => e.Revoked && e.Key.AsSpan().SequenceEqual(presented)) is { } revoked)
        {
            return new HostKeyCheck(HostKeyStatus.Revoked, revoked);
        }

        var plain = matching.Where(e => !e.Revoked).ToList();
        if (plain.FirstOrDefault(e => e.Key.AsSpan().SequenceEqual(presented)) is { } same)
        {
            return new HostKeyCheck(HostKeyStatus.Trusted, same);
        }

        var type = KeyTypeOf(presented);
        var sameType = plain.FirstOrDefault(e => e.KeyType == type);
        if (sameType is not null)
        {
            return new HostKeyCheck(HostKeyStatus.Changed, sameType);
        }

        // Another type recorded and this one not: the server may have lost its old key, or someone answers in its place.
        return plain.Count > 0 ? new HostKeyCheck(HostKeyStatus.Changed, plain[0]) : new HostKeyCheck(HostKeyStatus.Unknown, null);
    }

    /// <summary>
    /// Records a key for a host: lines naming only this host are replaced, then the new line is appended.
    /// The file is created 0600 when missing.
    /// </summary>
    public static void Record(string path, string address, int port, byte[] key, bool hashName = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(key);
        var name = HostName(address, port);
        var kept = new List<string>();
        if (File.Exists(path))
        {
            foreach (var line in File.ReadAllLines(path))
            {
                var fields = line.Trim().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                var single = fields.Length >= 3 && !fields[0].StartsWith('@') && !fields[0].Contains(',', StringComparison.Ordinal) && Matches(fields[0], name);
                if (!single)
                {
                    kept.Add(line);
                }
            }
        }
        else if (System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) is { } dir)
        {
            Directory.CreateDirectory(dir);
        }

        var pattern = hashName ? Hash(name, RandomNumberGenerator.GetBytes(20)) : name;
        kept.Add($"{pattern} {KeyTypeOf(key)} {Convert.ToBase64String(key)}");
        var temp = path + ".tmp";
        File.WriteAllText(temp, string.Join('\n', kept) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>A hashed host name as <c>ssh-keygen -H</c> writes it: HMAC-SHA1 keyed with the salt.</summary>
    public static string Hash(string hostName, byte[] salt)
    {
        ArgumentNullException.ThrowIfNull(hostName);
        var mac = HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(hostName));
        return $"|1|{Convert.ToBase64String(salt)}|{Convert.ToBase64String(mac)}";
    }

    internal static bool Matches(string patterns, string name)
    {
        if (patterns.StartsWith("|1|", StringComparison.Ordinal))
        {
            var parts = patterns.Split('|');
            if (parts.Length != 4)
            {
                return false;
            }

            try
            {
                return Hash(name, Convert.FromBase64String(parts[2])) == patterns;
            }
            catch (FormatException)
            {
                return false;
            }
        }

        var matched = false;
        foreach (var raw in patterns.Split(','))
        {
            var negated = raw.StartsWith('!');
            var pattern = negated ? raw[1..] : raw;
            if (Wildcard(pattern.ToLowerInvariant(), name.ToLowerInvariant()))
            {
                if (negated)
                {
                    return false;
                }

                matched = true;
            }
        }

        return matched;
    }

    private static bool Wildcard(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
