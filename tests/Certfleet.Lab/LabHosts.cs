using System.Diagnostics;
using System.Globalization;

namespace Certfleet.Lab;

/// <summary>One host of the lab (see lab/hosts.conf).</summary>
/// <param name="Os">Name of the os-release file it carries: debian12, rocky9, ubuntu24.</param>
/// <param name="WebServer">nginx, httpd, apache2, tomcat or none.</param>
public sealed record LabHost(string Name, string Address, int Port, string User, string Os, string WebServer, string IdentityFile, string KnownHostsFile);

/// <summary>
/// The lab of SSH hosts in network namespaces (lab/hosts-up.sh). The constructor brings it up (or joins
/// a lab that is already up); disposing the last user in any process tears it down. Use it as an xunit
/// assembly or collection fixture so that all test classes of a run share one lab.
/// </summary>
public sealed class LabHosts : IDisposable, IAsyncDisposable
{
    private readonly string _userFile;
    private bool _disposed;

    public LabHosts()
    {
        StateDir = Environment.GetEnvironmentVariable("CERTFLEET_LAB_DIR") ?? "/var/lib/certfleet-lab";
        LabDir = FindLabDir();
        Run("hosts-up.sh");
        Directory.CreateDirectory(Path.Combine(StateDir, "users"));
        _userFile = Path.Combine(StateDir, "users", $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        File.WriteAllText(_userFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        IdentityFile = Path.Combine(StateDir, "id_ed25519");
        KnownHostsFile = Path.Combine(StateDir, "known_hosts");
        Hosts = File.ReadAllLines(Path.Combine(StateDir, "hosts.tsv"))
            .Select(l => l.Split('\t'))
            .Where(f => f.Length >= 5)
            .Select(f => new LabHost(f[0], f[1], int.Parse(f[2], CultureInfo.InvariantCulture), "root", f[3], f[4], IdentityFile, KnownHostsFile))
            .ToList();
    }

    /// <summary>The lab's state: per-host trees under hosts/NAME, the key, known_hosts, hosts.tsv.</summary>
    public string StateDir { get; }

    /// <summary>The repository's lab/ folder with the scripts.</summary>
    public string LabDir { get; }

    public string IdentityFile { get; }

    /// <summary>The lab's known_hosts: hashed, plain, multi-name and [host]:port entries; rekey's entries are stale on purpose.</summary>
    public string KnownHostsFile { get; }

    public IReadOnlyList<LabHost> Hosts { get; }

    public LabHost this[string name] => Hosts.First(h => h.Name == name);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        File.Delete(_userFile);
        var others = Directory.Exists(Path.Combine(StateDir, "users"))
            ? Directory.GetFiles(Path.Combine(StateDir, "users")).Where(f => IsAlive(File.ReadAllText(f))).ToList()
            : [];
        if (others.Count == 0)
        {
            Run("hosts-down.sh");
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The controller-side path of a file inside a lab host (its trees are bind-mounted from the lab's state).</summary>
    public string HostPath(string host, string path)
    {
        var h = Path.Combine(StateDir, "hosts", host);
        (string Prefix, string Local)[] mounts =
        [
            ("/etc/nginx/", "etc/nginx/"), ("/etc/httpd/", "etc/httpd/"), ("/etc/pki/", "etc/pki/"),
            ("/etc/apache2/", "etc/apache2/"), ("/var/lib/tomcat10/", "catalina/"),
        ];
        var m = mounts.First(m => path.StartsWith(m.Prefix, StringComparison.Ordinal));
        return Path.Combine(h, m.Local + path[m.Prefix.Length..]);
    }

    /// <summary>
    /// What an operator changes once so that each lab web server uses the files deploy places for
    /// <paramref name="certificate"/>: nginx pushed to /etc/nginx/certfleet, both Apache layouts from the share at
    /// their certfleet-share mount, Tomcat's PKCS#12 keystore pushed to /var/lib/tomcat10/certfleet.
    /// </summary>
    public static IReadOnlyList<(string Host, string Path, (string From, string To)[] Replacements)> DeployedFilesEdits(string certificate, string keystorePassword) =>
    [
        ("debian12", "/etc/nginx/sites-available/lab-ssl",
            [("/etc/nginx/tls/lab.crt", $"/etc/nginx/certfleet/{certificate}/fullchain.pem"), ("/etc/nginx/tls/lab.key", $"/etc/nginx/certfleet/{certificate}/privkey.pem")]),
        ("rocky9", "/etc/httpd/conf.d/ssl.conf",
            [("/etc/pki/tls/certs/localhost.crt", $"/etc/httpd/certfleet-share/{certificate}/fullchain.pem"), ("/etc/pki/tls/private/localhost.key", $"/etc/httpd/certfleet-share/{certificate}/privkey.pem")]),
        ("ubuntu24", "/etc/apache2/sites-available/default-ssl.conf",
            [("/etc/apache2/tls/lab.crt", $"/etc/apache2/certfleet-share/{certificate}/fullchain.pem"), ("/etc/apache2/tls/lab.key", $"/etc/apache2/certfleet-share/{certificate}/privkey.pem")]),
        ("tomcat", "/var/lib/tomcat10/conf/server.xml",
            [
                ("certificateKeystoreFile=\"conf/lab.p12\"", $"certificateKeystoreFile=\"/var/lib/tomcat10/certfleet/{certificate}/keystore.p12\""),
                ("certificateKeyAlias=\"tomcat\"", "certificateKeyAlias=\"certfleet\""),
                ("certificateKeystorePassword=\"changeit\" type=\"EC\"", $"certificateKeystorePassword=\"{keystorePassword}\" type=\"EC\""),
            ]),
    ];

    /// <summary>Runs one of the lab's scripts (e.g. share-mount.sh HOST SOURCE MOUNTPOINT) as this lab; throws with its error output when it fails.</summary>
    public void RunScript(string script, params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(LabDir, script)) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["CERTFLEET_LAB_DIR"] = StateDir;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"lab: cannot start {script}");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"lab: {script} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Trim()}");
        }
    }

    private static bool IsAlive(string pid) =>
        int.TryParse(pid.Trim(), CultureInfo.InvariantCulture, out var id) && id != Environment.ProcessId && Directory.Exists($"/proc/{id}");

    private void Run(string script)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(LabDir, script)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["CERTFLEET_LAB_DIR"] = StateDir;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"lab: cannot start {script}");
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"lab: {script} did not finish within 90 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"lab: {script} failed ({process.ExitCode}): {stderr.Result.Trim()}; run lab/{script} by hand as root to see why");
        }
    }

    private static string FindLabDir([System.Runtime.CompilerServices.CallerFilePath] string sourceFile = "")
    {
        // Builds with --artifacts-path live outside the repository: the source path is the fallback.
        string[] starts = [Environment.GetEnvironmentVariable("CERTFLEET_REPO") ?? "", AppContext.BaseDirectory, Environment.CurrentDirectory, Path.GetDirectoryName(sourceFile) ?? ""];
        foreach (var start in starts.Where(s => s.Length > 0))
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "lab", "hosts-up.sh");
                if (File.Exists(candidate))
                {
                    return Path.GetDirectoryName(candidate)!;
                }
            }
        }

        throw new InvalidOperationException("lab: lab/hosts-up.sh not found above the test binaries; run the tests from the repository");
    }
}
