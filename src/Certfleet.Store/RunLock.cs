using System.Runtime.InteropServices;
using System.Text.Json;

namespace Certfleet.Store;

/// <summary>Outcome of <see cref="RunLock.TryAcquireAsync"/>: either the lock, or who holds it.</summary>
/// <param name="Lock">The held lock (dispose to release), or null when another run holds it.</param>
/// <param name="HeldBy">The other holder as written in the lock file; null when acquired or when the holder wrote nothing (yet).</param>
/// <param name="Path">Path of the lock file.</param>
public sealed record RunLockResult(RunLock? Lock, RunLockHolder? HeldBy, string Path)
{
    /// <summary>Whether this caller now holds the lock.</summary>
    public bool Acquired => Lock is not null;

    /// <summary>A sentence for the operator, e.g. "held by pid 42 on host1 since 2025-01-01T00:00:00Z".</summary>
    public string Describe() => Acquired
        ? $"acquired {Path}"
        : HeldBy is { } h
            ? $"{Path} is held by pid {h.ProcessId} on {h.HostName} since {h.StartedAt:O}"
            : $"{Path} is held by another process (it wrote no holder details)";
}

/// <summary>
/// The exclusive run lock <c>stateDir/certfleet.lock</c>: an flock(2) LOCK_EX taken without waiting, so the
/// kernel releases it when the holder dies. The holder's pid, host and start time are written inside; the file
/// is emptied, never deleted, on release (deleting a flock file lets two processes lock two different inodes).
/// </summary>
public sealed class RunLock : IDisposable, IAsyncDisposable
{
    /// <summary>File name of the lock inside the state directory.</summary>
    public const string FileName = "certfleet.lock";

    private readonly FileStream _stream;
    private bool _disposed;

    private RunLock(FileStream stream, string path, RunLockHolder holder)
    {
        _stream = stream;
        Path = path;
        Holder = holder;
    }

    /// <summary>Path of the lock file.</summary>
    public string Path { get; }

    /// <summary>This process's details as written in the lock file.</summary>
    public RunLockHolder Holder { get; }

    /// <summary>
    /// Takes the lock if nobody holds it; never waits. Creates the state directory (0700) if needed.
    /// Not holding it is a result, not an exception.
    /// </summary>
    public static async Task<RunLockResult> TryAcquireAsync(string stateDir, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDir);
        string directory = System.IO.Path.GetFullPath(stateDir);
        string path = System.IO.Path.Combine(directory, FileName);
        FileOps.EnsureDirectory(directory);

        // The holder can release between .NET's failed open and the probe below; then the open is simply tried again.
        FileStream? stream = null;
        for (int attempt = 1; stream is null; attempt++)
        {
            try
            {
                // FileShare.None makes .NET take flock(LOCK_EX|LOCK_NB) itself; a held lock surfaces as IOException.
#pragma warning disable CA1416 // Linux only, like Native.
                stream = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                    UnixCreateMode = FileOps.PrivateMode,
                });
#pragma warning restore CA1416
            }
            catch (IOException e)
            {
                if (IsHeldByOther(path, out RunLockHolder? heldBy))
                {
                    return new RunLockResult(null, heldBy, path);
                }

                if (attempt == 3)
                {
                    throw FileOps.Wrap(e, "opening lock", path);
                }
            }
            catch (UnauthorizedAccessException e)
            {
                throw FileOps.Wrap(e, "opening lock", path);
            }
        }

        // Explicit as well, for when .NET file locking is switched off (DOTNET_SYSTEM_IO_DISABLEFILELOCKING).
        if (Native.Flock(stream.SafeFileHandle, Native.LockEx | Native.LockNb) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            await stream.DisposeAsync();
            if (errno == Native.EWouldBlock)
            {
                _ = IsHeldByOther(path, out RunLockHolder? heldBy);
                return new RunLockResult(null, heldBy, path);
            }

            throw FileOps.FromErrno(errno, "locking", path);
        }

        var holder = new RunLockHolder(Environment.ProcessId, Environment.MachineName, (time ?? TimeProvider.System).GetUtcNow());
        try
        {
            stream.SetLength(0);
            await stream.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(holder, StoreJsonContext.Default.RunLockHolder), cancellationToken);
            stream.Flush(flushToDisk: true);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            await stream.DisposeAsync();
            if (e is OperationCanceledException)
            {
                throw;
            }

            throw FileOps.Wrap(e, "writing lock", path);
        }

        return new RunLockResult(new RunLock(stream, path, holder), null, path);
    }

    /// <summary>Empties the lock file and releases the lock.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            // Emptied while still locked, so the next reader never sees this process as holder.
            _stream.SetLength(0);
            _stream.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            // Release matters more than tidiness; stale details are overwritten by the next holder.
        }

        _ = Native.Flock(_stream.SafeFileHandle, Native.LockUn);
        _stream.Dispose();
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Probes with a shared lock through a raw descriptor (System.IO would lock it too) and reads the holder.</summary>
    private static bool IsHeldByOther(string path, out RunLockHolder? holder)
    {
        holder = null;
        using var handle = Native.OpenReadOnly(path, out _);
        if (handle is null)
        {
            return false;
        }

        bool held = Native.Flock(handle, Native.LockSh | Native.LockNb) != 0 && Marshal.GetLastPInvokeError() == Native.EWouldBlock;
        if (!held)
        {
            return false;
        }

        try
        {
            using var stream = new FileStream(handle, FileAccess.Read);
            using var reader = new StreamReader(stream);
            string text = reader.ReadToEnd();
            holder = text.Length == 0 ? null : JsonSerializer.Deserialize(text, StoreJsonContext.Default.RunLockHolder);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            holder = null; // the holder is between truncating and writing
        }

        return true;
    }
}
