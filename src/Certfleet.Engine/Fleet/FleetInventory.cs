using Certfleet.Inventory;
using Certfleet.Remote;
using Certfleet.WebServers.Checks;
using Microsoft.Extensions.Logging;

namespace Certfleet.Engine.Fleet;

/// <summary>One inventory run: the hosts scanned now and the snapshot saved.</summary>
public sealed record InventoryReport(InventorySnapshot Snapshot, IReadOnlyList<HostInventory> Scanned, string SavedTo)
{
    public bool AllScanned => Scanned.All(h => h.Status == HostStatus.Ok);
}

/// <summary>
/// Scans the selected hosts and saves the snapshot to stateDir/inventory/latest.json, the one before kept as previous.json.
/// Hosts not selected keep their entry from the previous snapshot, so a partial run does not look like removals.
/// </summary>
public sealed class FleetInventory
{
    private readonly CertfleetRuntime _runtime;
    private readonly SshConnector _connector;

    public FleetInventory(CertfleetRuntime runtime, SshConnector? connector = null)
    {
        _runtime = runtime ?? throw new ArgumentNullException(nameof(runtime));
        _connector = connector ?? new SshConnector(runtime.Settings.Fleet.Ssh, runtime.LoggerFactory.CreateLogger<SshConnector>());
    }

    public string LatestPath => Path.Combine(_runtime.Settings.StateDir, "inventory", "latest.json");

    public string PreviousPath => Path.Combine(_runtime.Settings.StateDir, "inventory", "previous.json");

    public async Task<InventoryReport> RunAsync(IReadOnlyList<SshHost> hosts, IProgress<ScanProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        var scanner = new InventoryScanner(_connector, _runtime.Time, _runtime.LoggerFactory.CreateLogger<InventoryScanner>());
        var scanned = await scanner.ScanAsync(hosts, progress, cancellationToken);
        var previous = await InventorySnapshot.LoadAsync(LatestPath, cancellationToken);
        var byName = scanned.ToDictionary(h => h.Name, StringComparer.Ordinal);
        var merged = new List<HostInventory>();
        foreach (var host in _runtime.Settings.Fleet.Hosts)
        {
            if (byName.TryGetValue(host.Name, out var now))
            {
                merged.Add(now);
            }
            else if (previous?.Hosts.FirstOrDefault(h => h.Name == host.Name) is { } kept)
            {
                merged.Add(kept);
            }
        }

        merged.AddRange(scanned.Where(s => merged.All(m => m.Name != s.Name)));
        var snapshot = new InventorySnapshot(1, _runtime.Time.GetUtcNow(), merged);
        await snapshot.SaveAsync(LatestPath, PreviousPath, cancellationToken);
        return new InventoryReport(snapshot, scanned, LatestPath);
    }

    /// <summary>The previous and the latest snapshot (either null when missing).</summary>
    public async Task<(InventorySnapshot? Previous, InventorySnapshot? Latest)> LoadAsync(CancellationToken cancellationToken) =>
        (await InventorySnapshot.LoadAsync(PreviousPath, cancellationToken), await InventorySnapshot.LoadAsync(LatestPath, cancellationToken));

    /// <summary>The configured certificate covering an endpoint's names (or, without names, those it serves).</summary>
    public static string? CoveringCertificate(IReadOnlyList<CertificateSettings> certificates, EndpointInventory endpoint)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        ArgumentNullException.ThrowIfNull(endpoint);
        var names = CertificateAnalysis.NamesToCover(endpoint.Config.ServerNames);
        if (names.Count == 0 && endpoint.Served is { } served)
        {
            names = served.Names;
        }

        var managed = certificates.Select(c => new ManagedCertificate(c.Name, c.Domains, null)).ToList();
        return CertificateCoverage.Covering(managed, names)?.Name;
    }
}
