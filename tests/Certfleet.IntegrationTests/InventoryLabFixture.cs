using System.Globalization;
using System.Security.Cryptography;
using Certfleet.Lab;

namespace Certfleet.IntegrationTests;

/// <summary>The lab hosts, shared by the inventory and check test classes (which run one after the other: they edit host configs).</summary>
[CollectionDefinition(Name)]
public sealed class LabFleetCollection : ICollectionFixture<LabHosts>
{
    public const string Name = "lab fleet";
}

/// <summary>A temp directory with a certfleet.yaml naming the lab hosts, and helpers to edit a host's files and put them back.</summary>
public sealed class LabFleetWorkspace : IDisposable
{
    private readonly List<Action> _undo = [];

    public LabFleetWorkspace(LabHosts lab)
    {
        Lab = lab;
        Root = Directory.CreateTempSubdirectory("certfleet-fleet-").FullName;
        StateDir = Path.Combine(Root, "state");
        KnownHosts = Path.Combine(Root, "known_hosts");
        File.Copy(lab.KnownHostsFile, KnownHosts);
        ConfigPath = Path.Combine(Root, "certfleet.yaml");
        File.WriteAllText(Path.Combine(Root, "tsig.secret"), Convert.ToBase64String(new byte[32]) + "\n");
    }

    public LabHosts Lab { get; }

    public string Root { get; }

    public string StateDir { get; }

    public string KnownHosts { get; }

    public string ConfigPath { get; }

    /// <summary>hosts: for every lab host, group web of the four with a web server, one configured certificate for debian12's names.</summary>
    /// <param name="acmeAndDns">acme: and dns: sections replacing the default dns: (whose server nobody answers on).</param>
    public string Config(string? hosts = null, string? inventory = null, string? acmeAndDns = null)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"stateDir: {StateDir}\n");
        sb.Append(hosts ?? "hosts:\n" + string.Concat(Lab.Hosts.Select(h => $"  {h.Name}: {{ address: {h.Address}, port: {h.Port}, user: root, identityFile: {h.IdentityFile} }}\n")));
        if (hosts is null)
        {
            sb.Append("groups:\n  web: [debian12, rocky9, ubuntu24, tomcat]\n");
        }

        if (inventory is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"inventory:\n  ansible: {inventory}\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"""
            ssh:
              knownHosts: {KnownHosts}
              parallelism: 8
              connectTimeout: 20s
              commandTimeout: 60s
            {acmeAndDns ?? $"""
            dns:
              providers:
                lab:
                  type: rfc2136
                  server: 127.0.0.1:5399
                  tsigKeyName: lab-key
                  tsigSecret: file:{Path.Combine(Root, "tsig.secret")}
            """}
            certificates:
              debian12:
                domains: [debian12.lab.test, "*.debian12.lab.test"]
                dnsProvider: lab

            """);
        return sb.ToString();
    }

    public void WriteConfig(string yaml) => File.WriteAllText(ConfigPath, yaml);

    public Task<CliRun> RunAsync(params string[] args) => CliRun.InProcessAsync(["--config", ConfigPath, .. args]);

    /// <summary>The controller-side path of a file inside a lab host (its trees are bind-mounted from the lab's state).</summary>
    public string HostPath(string host, string path) => Lab.HostPath(host, path);

    /// <summary>Replaces a host file's content in place (same inode: the bind mount keeps seeing it); undone by <see cref="Restore"/>.</summary>
    public void Write(string host, string path, byte[] content)
    {
        var local = HostPath(host, path);
        if (File.Exists(local))
        {
            var bytes = File.ReadAllBytes(local);
            var mode = File.GetUnixFileMode(local);
            var mtime = File.GetLastWriteTimeUtc(local);
            _undo.Add(() =>
            {
                File.WriteAllBytes(local, bytes);
                File.SetUnixFileMode(local, mode);
                File.SetLastWriteTimeUtc(local, mtime);
            });
        }
        else
        {
            _undo.Add(() => File.Delete(local));
        }

        File.WriteAllBytes(local, content);
    }

    public void Write(string host, string path, string text) => Write(host, path, System.Text.Encoding.UTF8.GetBytes(text));

    public void Chmod(string host, string path, UnixFileMode mode)
    {
        var local = HostPath(host, path);
        var before = File.GetUnixFileMode(local);
        _undo.Add(() => File.SetUnixFileMode(local, before));
        File.SetUnixFileMode(local, mode);
    }

    /// <summary>Puts every edited file back, newest edit first.</summary>
    public void Restore()
    {
        for (var i = _undo.Count - 1; i >= 0; i--)
        {
            _undo[i]();
        }

        _undo.Clear();
    }

    /// <summary>SHA-256 over every file's path, mode and bytes under the hosts' configuration trees.</summary>
    public string HashTrees()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var dir in new[] { "debian12/etc", "rocky9/etc", "ubuntu24/etc", "tomcat/catalina/conf", "debian12/tls" }.Select(d => Path.Combine(Lab.StateDir, "hosts", d)).Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Order(StringComparer.Ordinal))
            {
                var info = new FileInfo(file);
                sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{file}\0{(info.LinkTarget ?? "")}\0{(int)info.UnixFileMode}\0"));
                if (info.LinkTarget is null)
                {
                    sha.AppendData(File.ReadAllBytes(file));
                }
            }
        }

        return Convert.ToHexString(sha.GetHashAndReset());
    }

    public void Dispose()
    {
        Restore();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
