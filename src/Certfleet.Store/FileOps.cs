using System.Runtime.InteropServices;
using System.Text;

namespace Certfleet.Store;

/// <summary>Crash-safe file primitives: write to a temp name, fsync, rename(2), fsync the directory.</summary>
internal static class FileOps
{
    internal const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    internal const UnixFileMode PrivateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    internal const UnixFileMode PublicMode = PrivateMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Creates <paramref name="path"/> (0700) if missing, its missing parents too, and fsyncs each new entry's parent.</summary>
    internal static void EnsureDirectory(string path)
    {
        path = Path.TrimEndingDirectorySeparator(path);
        if (Directory.Exists(path))
        {
            return;
        }

        string? parent = Path.GetDirectoryName(path);
        if (parent is not null)
        {
            EnsureDirectory(parent);
        }

        try
        {
            // The mode is applied by mkdir(2) itself, so the directory is never briefly wider than 0700.
#pragma warning disable CA1416 // Linux only, like Native.
            Directory.CreateDirectory(path, DirectoryMode);
#pragma warning restore CA1416
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Wrap(e, "creating directory", path);
        }

        if (parent is not null)
        {
            FsyncDirectory(parent);
        }
    }

    internal static Task WriteAtomicAsync(string path, string content, UnixFileMode mode, CancellationToken cancellationToken) =>
        WriteAtomicAsync(path, Encoding.UTF8.GetBytes(content), mode, cancellationToken);

    /// <summary>Replaces <paramref name="path"/> so that readers see either the old or the new complete content.</summary>
    internal static async Task WriteAtomicAsync(string path, ReadOnlyMemory<byte> content, UnixFileMode mode, CancellationToken cancellationToken)
    {
        string directory = Path.GetDirectoryName(path)!;
        string temp = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Path.GetRandomFileName() + ".tmp");
        try
        {
            await WriteNewFileAsync(temp, content, mode, cancellationToken);
            RenameOrThrow(temp, path, "replacing file");
        }
        catch
        {
            TryDeleteFile(temp);
            throw;
        }

        FsyncDirectory(directory);
    }

    /// <summary>Creates a file that must not exist yet with <paramref name="mode"/> set by open(2), writes and fsyncs it.</summary>
    internal static async Task WriteNewFileAsync(string path, ReadOnlyMemory<byte> content, UnixFileMode mode, CancellationToken cancellationToken)
    {
        try
        {
            // The mode is applied by open(2) itself: the file is never readable by others, not even empty.
#pragma warning disable CA1416 // Linux only, like Native.
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                UnixCreateMode = mode,
            };
#pragma warning restore CA1416
            await using var stream = new FileStream(path, options);
            await stream.WriteAsync(content, cancellationToken);
            stream.Flush(flushToDisk: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Wrap(e, "writing", path);
        }
    }

    internal static void RenameOrThrow(string source, string destination, string action)
    {
        if (Native.Rename(source, destination) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw FromErrno(errno, action, destination);
        }
    }

    /// <summary>rename(2); returns the errno (0 on success) so callers can react to EEXIST and friends.</summary>
    internal static int TryRename(string source, string destination) =>
        Native.Rename(source, destination) == 0 ? 0 : Marshal.GetLastPInvokeError();

    internal static void FsyncDirectory(string directory)
    {
        using var handle = Native.OpenReadOnly(directory, out int errno);
        if (handle is null)
        {
            throw FromErrno(errno, "opening directory", directory);
        }

        if (Native.Fsync(handle) != 0)
        {
            throw FromErrno(Marshal.GetLastPInvokeError(), "syncing directory", directory);
        }
    }

    /// <summary>Reads a whole file; null when it does not exist.</summary>
    internal static async Task<string?> ReadTextOrNullAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Wrap(e, "reading", path);
        }
    }

    /// <summary>
    /// Reads a whole small file synchronously, without a leading UTF-8 byte order mark; null when it does not exist.
    /// One buffer of the file's size: no reader and its buffers per file (status reads thousands).
    /// </summary>
    internal static byte[]? ReadBytesOrNull(string path)
    {
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            return bytes.AsSpan().StartsWith(Utf8Bom) ? bytes[Utf8Bom.Length..] : bytes;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Wrap(e, "reading", path);
        }
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    internal static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover dot-file is ignored by every reader.
        }
    }

    internal static StoreException Wrap(Exception e, string action, string path) => e switch
    {
        UnauthorizedAccessException => new StoreException(
            $"store: permission denied {action} {path}; run certfleet as the owner of the state directory or fix its ownership and permissions", e),
        _ => new StoreException(
            $"store: {action} {path} failed ({e.Message}); check that the file system is writable and has free space", e),
    };

    internal static StoreException FromErrno(int errno, string action, string path)
    {
        string reason = Marshal.GetPInvokeErrorMessage(errno);
        string hint = errno switch
        {
            Native.EAcces or Native.EPerm => "run certfleet as the owner of the state directory or fix its ownership and permissions",
            Native.ERoFs => "the file system is read-only; point the state directory at a writable location",
            Native.ENoSpc => "free some disk space",
            _ => "check the state directory",
        };
        return new StoreException($"store: {action} {path} failed ({reason}); {hint}");
    }
}
