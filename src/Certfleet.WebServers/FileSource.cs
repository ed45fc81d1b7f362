using System.Globalization;
using Certfleet.Remote;

namespace Certfleet.WebServers;

/// <summary>The outcome of reading one configuration file.</summary>
public sealed record FileRead(string? Text, long Size, string? Problem)
{
    public static FileRead Missing(string path) => new(null, 0, $"{path} does not exist");
}

/// <summary>Where configuration files are read from: a remote host, or a local fixture tree in tests.</summary>
public interface IFileSource
{
    /// <summary>Reads at most <paramref name="maxBytes"/>; a larger file comes back with a <see cref="FileRead.Problem"/> and no text.</summary>
    Task<FileRead> ReadAsync(string path, long maxBytes, CancellationToken cancellationToken);

    /// <summary>Paths matching a shell glob, sorted; the pattern itself when it has no wildcard and exists.</summary>
    Task<IReadOnlyList<string>> GlobAsync(string pattern, CancellationToken cancellationToken);
}

/// <summary>Reads files on a host with fixed scripts; paths are passed as arguments, never spliced into the script.</summary>
public sealed class RemoteFileSource(IRemoteHost host) : IFileSource
{
    private const string ReadScript =
        "[ -e \"$1\" ] || exit 3; [ -r \"$1\" ] || exit 4; s=$(wc -c < \"$1\"); echo \"$s\"; [ \"$s\" -gt \"$2\" ] && exit 0; cat -- \"$1\"";

    // IFS empty: the expansion is globbed but not split, so names with spaces survive.
    private const string GlobScript = "IFS=; for f in $1; do [ -e \"$f\" ] && printf '%s\\n' \"$f\"; done; exit 0";

    public async Task<FileRead> ReadAsync(string path, long maxBytes, CancellationToken cancellationToken)
    {
        var result = await host.RunAsync(RemoteCommand.Script(ReadScript, path, maxBytes.ToString(CultureInfo.InvariantCulture)), cancellationToken);
        switch (result.ExitCode)
        {
            case 3: return FileRead.Missing(path);
            case 4: return new FileRead(null, 0, $"{path} is not readable by the SSH user; enable sudo for this host");
            case 0: break;
            default: return new FileRead(null, 0, $"cannot read {path}: {result.Stderr.Trim()}");
        }

        var newline = result.Stdout.IndexOf('\n', StringComparison.Ordinal);
        if (newline < 0 || !long.TryParse(result.Stdout.AsSpan(0, newline).Trim(), CultureInfo.InvariantCulture, out var size))
        {
            return new FileRead(null, 0, $"cannot read {path}: unexpected answer");
        }

        return size > maxBytes
            ? new FileRead(null, size, $"{path} is {size} bytes, more than the {maxBytes} read; skipped")
            : new FileRead(result.Stdout[(newline + 1)..], size, null);
    }

    public async Task<IReadOnlyList<string>> GlobAsync(string pattern, CancellationToken cancellationToken)
    {
        var result = await host.RunAsync(RemoteCommand.Script(GlobScript, pattern), cancellationToken);
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}

/// <summary>A local directory standing in for a host's root (for tests and for fixtures).</summary>
public sealed class LocalFileSource(string root) : IFileSource
{
    public Task<FileRead> ReadAsync(string path, long maxBytes, CancellationToken cancellationToken)
    {
        var local = Map(path);
        if (!File.Exists(local))
        {
            return Task.FromResult(FileRead.Missing(path));
        }

        var size = new FileInfo(local).Length;
        if (size > maxBytes)
        {
            return Task.FromResult(new FileRead(null, size, $"{path} is {size} bytes, more than the {maxBytes} read; skipped"));
        }

        return Task.FromResult(new FileRead(File.ReadAllText(local), size, null));
    }

    public Task<IReadOnlyList<string>> GlobAsync(string pattern, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var dir = Path.GetDirectoryName(pattern) ?? "/";
        var name = Path.GetFileName(pattern);
        var localDir = Map(dir);
        if (!name.Contains('*', StringComparison.Ordinal) && !name.Contains('?', StringComparison.Ordinal) && !name.Contains('[', StringComparison.Ordinal))
        {
            return Task.FromResult<IReadOnlyList<string>>(File.Exists(Map(pattern)) || Directory.Exists(Map(pattern)) ? [pattern] : []);
        }

        if (!Directory.Exists(localDir))
        {
            return Task.FromResult<IReadOnlyList<string>>([]);
        }

        var matches = Directory.EnumerateFileSystemEntries(localDir)
            .Select(Path.GetFileName)
            .Where(n => n is not null && !n.StartsWith('.') && Glob.IsMatch(name, n))
            .Order(StringComparer.Ordinal)
            .Select(n => dir.TrimEnd('/') + "/" + n)
            .ToList();
        return Task.FromResult<IReadOnlyList<string>>(matches);
    }

    private string Map(string path) => Path.Combine(root, path.TrimStart('/'));
}

internal static class Glob
{
    public static bool IsMatch(string pattern, string text)
    {
        var regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal).Replace("\\[", "[", StringComparison.Ordinal) + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(text, regex, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
    }
}
