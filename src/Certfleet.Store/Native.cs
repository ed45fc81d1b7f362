using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Certfleet.Store;

// System.IO has no directory fsync, no plain rename(2) that is guaranteed not to fall back to copy+delete,
// and its implicit FileShare locking cannot be bypassed to read a locked file. Linux (glibc) only.
internal static partial class Native
{
    private const string Libc = "libc.so.6";

    internal const int ORdOnly = 0;
    internal const int OCloExec = 0x80000;
    internal const int LockSh = 1;
    internal const int LockEx = 2;
    internal const int LockNb = 4;
    internal const int LockUn = 8;

    internal const int EPerm = 1;
    internal const int ENoEnt = 2;
    internal const int EAcces = 13;
    internal const int EExist = 17;
    internal const int EIsDir = 21;
    internal const int ENoSpc = 28;
    internal const int ERoFs = 30;
    internal const int ENotEmpty = 39;
    internal const int EWouldBlock = 11;

    [LibraryImport(Libc, EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Rename(string oldPath, string newPath);

    [LibraryImport(Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenRaw(string path, int flags);

    [LibraryImport(Libc, EntryPoint = "fsync", SetLastError = true)]
    internal static partial int Fsync(SafeFileHandle fd);

    [LibraryImport(Libc, EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(SafeFileHandle fd, int operation);

    /// <summary>open(2) read-only without the advisory lock System.IO would take; null on failure (errno in <paramref name="errno"/>).</summary>
    internal static SafeFileHandle? OpenReadOnly(string path, out int errno)
    {
        int fd = OpenRaw(path, ORdOnly | OCloExec);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        errno = 0;
        return new SafeFileHandle(fd, ownsHandle: true);
    }
}
