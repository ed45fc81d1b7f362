using System.Diagnostics;
using Certfleet.Deployment;
using Certfleet.Inventory;
using Certfleet.Remote;
using Microsoft.Extensions.Logging;

namespace Certfleet.Engine.Deploy;

/// <summary>The plan of <c>certfleet share setup</c>: the issuer's export and each host's mount.</summary>
public sealed record ShareSetupPlan(IssuerSharePlan Issuer, IReadOnlyList<HostSharePlan> Hosts);

/// <summary>Prepares the NFS share: the export on this host and the client mount on each host that deploys through it.</summary>
public sealed class ShareSetupWorkflow(CertfleetRuntime runtime)
{
    /// <summary>$1 package manager command, $2 package, $3 mount point, $4 unit name, $5 unit text, $6 fstab line, $7 selinux (1/0).</summary>
    private const string HostScript = WebServerPath + """
        set -eu
        if [ -n "$2" ]; then $1 install -y "$2"; fi
        install -d -m 0755 "$3"
        if [ -n "$4" ]; then
          printf '%s' "$5" > "/etc/systemd/system/$4"
          systemctl daemon-reload
          systemctl enable --now "$4"
        else
          grep -qxF "$6" /etc/fstab || printf '%s\n' "$6" >> /etc/fstab
          mountpoint -q "$3" || mount "$3"
        fi
        if [ "$7" = 1 ]; then setsebool -P httpd_use_nfs 1; fi
        """;

    private const string WebServerPath = Certfleet.WebServers.WebServerDetector.PathPrefix;

    /// <summary>The exports file to edit (tests point it elsewhere).</summary>
    public string ExportsFile { get; init; } = ShareSetupPlanner.ExportsFile;

    public async Task<ShareSetupPlan> PlanAsync(CancellationToken cancellationToken)
    {
        var settings = runtime.Settings;
        var share = settings.Deployment.Share
            ?? throw new UsageException($"share: {settings.File} has no share: {{ exportPath: ... }} section");
        var mounts = new List<(SshHost Host, string MountPoint)>();
        foreach (var target in settings.Certificates.SelectMany(c => c.Deploy).Where(t => t.Method == DeployMethod.Share))
        {
            var (hosts, errors) = HostSelector.Select(settings.Fleet, target.To);
            if (errors.Count > 0)
            {
                throw new UsageException($"share: {string.Join("; ", errors)}");
            }

            mounts.AddRange(hosts.Where(h => !mounts.Any(m => m.Host.Name == h.Name && m.MountPoint == target.Path)).Select(h => (h, target.Path)));
        }

        if (mounts.Count == 0)
        {
            throw new UsageException($"share: no deploy target in {settings.File} uses method: share; nothing to set up");
        }

        var connector = new SshConnector(settings.Fleet.Ssh, runtime.LoggerFactory.CreateLogger<SshConnector>());
        var scanner = new InventoryScanner(connector, runtime.Time);
        var distinct = mounts.Select(m => m.Host).DistinctBy(h => h.Name).ToList();
        var inventories = await scanner.ScanAsync(distinct, null, cancellationToken);
        var facts = inventories.ToDictionary(i => i.Name, i => i.Facts, StringComparer.Ordinal);
        var clients = mounts.Select(m => new ShareClient(m.Host, m.MountPoint, facts.GetValueOrDefault(m.Host.Name))).ToList();
        return new ShareSetupPlan(
            ShareSetupPlanner.PlanIssuer(share.ExportPath, clients),
            [.. clients.Select(c => ShareSetupPlanner.PlanHost(c, share.EffectiveServer, share.ExportPath))]);
    }

    /// <summary>Applies a plan: the export here, then each host; returns one line per host (problems included).</summary>
    public async Task<IReadOnlyList<(string Host, bool Ok, string Message)>> ApplyAsync(ShareSetupPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        Directory.CreateDirectory(plan.Issuer.ExportPath);
        var current = File.Exists(ExportsFile) ? await File.ReadAllTextAsync(ExportsFile, cancellationToken) : null;
        await File.WriteAllTextAsync(ExportsFile, ShareSetupPlanner.MergeExports(current, plan.Issuer.ExportsEntry), cancellationToken);
        var results = new List<(string, bool, string)>();
        var exportfs = await RunLocalAsync("exportfs", ["-ra"], cancellationToken);
        results.Add(("(issuer)", exportfs is null, exportfs ?? $"{ExportsFile} updated, exportfs -ra done"));

        var connector = new SshConnector(runtime.Settings.Fleet.Ssh, runtime.LoggerFactory.CreateLogger<SshConnector>());
        foreach (var host in plan.Hosts)
        {
            if (host.Problems.Count > 0)
            {
                results.Add((host.Host, false, string.Join("; ", host.Problems)));
                continue;
            }

            var sshHost = runtime.Settings.Fleet.Hosts.First(h => h.Name == host.Host);
            var connected = await connector.ConnectAsync(sshHost, cancellationToken);
            if (connected.Session is not { } session)
            {
                results.Add((host.Host, false, $"{connected.Failure!.Message}; {connected.Failure.Fix}"));
                continue;
            }

            await using (session)
            {
                var unit = host.Files.FirstOrDefault();
                var pm = host.Family == OsFamily.Rhel ? (host.Commands[0].StartsWith("yum", StringComparison.Ordinal) ? "yum" : "dnf") : "apt-get";
                var r = await session.RunAsync(RemoteCommand.Script(HostScript, pm, host.Package ?? "", host.MountPoint,
                    unit is null ? "" : Path.GetFileName(unit.Path), unit?.Content ?? "", host.FstabLine ?? "",
                    host.Commands.Any(c => c.StartsWith("setsebool", StringComparison.Ordinal)) ? "1" : "0"), cancellationToken);
                results.Add((host.Host, r.Succeeded, r.Succeeded ? $"{host.MountPoint} mounted" : r.Stderr.Trim()));
            }
        }

        return results;
    }

    private static async Task<string?> RunLocalAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        try
        {
            using var p = Process.Start(psi)!;
            var error = await p.StandardError.ReadToEndAsync(cancellationToken);
            await p.WaitForExitAsync(cancellationToken);
            return p.ExitCode == 0 ? null : $"share: {program} {string.Join(' ', arguments)} failed: {error.Trim()}; is the NFS server (nfs-kernel-server or nfs-utils) installed and running?";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return $"share: {program} is not installed here; install nfs-kernel-server (Debian) or nfs-utils (RHEL) on the issuer";
        }
    }
}
