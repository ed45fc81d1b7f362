using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Certfleet.Deployment;

/// <summary>
/// Publishes versions into <c>exportPath/NAME</c> on the issuing host, in the layout of <see cref="RemoteLayout"/>:
/// the version directory is complete (files fsync'd, modes and group set) before <c>current</c> is renamed onto it.
/// </summary>
public sealed partial class ShareExport(string exportPath)
{
    public string ExportPath { get; } = exportPath;

    public string BaseOf(string name) => Path.Combine(ExportPath, name);

    /// <summary>Writes the version (unless already there) and switches to it; returns the version that was current before.</summary>
    public async Task<string?> PublishAsync(DeployPackage package, string owner, string group, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        var baseDir = BaseOf(package.Name);
        var versions = Path.Combine(baseDir, "versions");
        Directory.CreateDirectory(versions);
        File.SetUnixFileMode(baseDir, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(versions, (UnixFileMode)0b111_101_101);
        var target = Path.Combine(versions, package.Version);
        if (!File.Exists(Path.Combine(target, DeployPackage.ManifestFile)))
        {
            var staging = Path.Combine(baseDir, $".staging-{Guid.NewGuid():N}");
            Directory.CreateDirectory(staging);
            try
            {
                File.SetUnixFileMode(staging, (UnixFileMode)0b111_101_101);
                foreach (var file in package.Files)
                {
                    var path = Path.Combine(staging, file.Name);
                    await using (var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = file.Mode & (UnixFileMode)0b110_100_000 }))
                    {
                        await stream.WriteAsync(file.Content, cancellationToken);
                        stream.Flush(flushToDisk: true);
                    }

                    File.SetUnixFileMode(path, file.Mode);
                }

                await ChownAsync(owner, group, [.. package.Files.Select(f => Path.Combine(staging, f.Name))], cancellationToken);
                if (Directory.Exists(target))
                {
                    Directory.Delete(target, recursive: true);
                }

                Directory.Move(staging, target);
            }
            finally
            {
                if (Directory.Exists(staging))
                {
                    Directory.Delete(staging, recursive: true);
                }
            }
        }

        foreach (var name in DeployPackage.LinkedNames)
        {
            var link = Path.Combine(baseDir, name);
            if (File.Exists(Path.Combine(target, name)) && new FileInfo(link).LinkTarget is null)
            {
                File.Delete(link);
                File.CreateSymbolicLink(link, Path.Combine("current", name));
            }
        }

        var previous = Current(package.Name);
        if (previous != package.Version)
        {
            if (previous is not null)
            {
                Switch(baseDir, "previous", previous);
            }

            Switch(baseDir, "current", package.Version);
        }

        return previous;
    }

    /// <summary>Points <c>current</c> back at <paramref name="version"/>.</summary>
    public void Restore(string name, string version)
    {
        var baseDir = BaseOf(name);
        if (!File.Exists(Path.Combine(baseDir, "versions", version, DeployPackage.ManifestFile)))
        {
            throw new DeploymentException($"deploy: version {version} of {name} is not in {baseDir}/versions; it cannot be restored");
        }

        Switch(baseDir, "current", version);
    }

    public string? Current(string name) =>
        new FileInfo(Path.Combine(BaseOf(name), "current")).LinkTarget is { } t && t.StartsWith("versions/", StringComparison.Ordinal) ? t[9..] : null;

    private static void Switch(string baseDir, string link, string version)
    {
        var temp = Path.Combine(baseDir, $".{link}-{Guid.NewGuid():N}");
        File.CreateSymbolicLink(temp, $"versions/{version}");

        // rename(2) replaces the old link in one step (POSIX): readers see the old or the new target.
        // File.Move follows the link and refuses a link to a directory, hence the system call.
        if (Rename(temp, Path.Combine(baseDir, link)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            File.Delete(temp);
            throw new IOException($"deploy: cannot switch {Path.Combine(baseDir, link)} to version {version} (errno {errno})");
        }
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Rename(string oldPath, string newPath);

    private static async Task ChownAsync(string owner, string group, string[] paths, CancellationToken cancellationToken)
    {
        var privileged = Environment.IsPrivilegedProcess;
        var psi = new ProcessStartInfo(privileged ? "chown" : "chgrp") { RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-h");
        psi.ArgumentList.Add(privileged ? $"{owner}:{group}" : group);
        foreach (var p in paths)
        {
            psi.ArgumentList.Add(p);
        }

        using var process = Process.Start(psi) ?? throw new DeploymentException("deploy: cannot run chown");
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0 && (privileged || group != "root"))
        {
            throw new DeploymentException($"deploy: cannot give the exported files to {owner}:{group}: {error.Trim()}; create the group on this host or fix deploy.group");
        }
    }
}

/// <summary>A deployment that cannot go on at all (not a per-host failure, which is a result).</summary>
public sealed class DeploymentException : Exception
{
    public DeploymentException(string message)
        : base(message)
    {
    }

    public DeploymentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DeploymentException()
    {
    }
}
