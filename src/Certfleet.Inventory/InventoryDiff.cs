namespace Certfleet.Inventory;

public enum ChangeKind
{
    HostAdded,
    HostRemoved,
    HostReachability,
    OsChanged,
    WebServerAdded,
    WebServerRemoved,
    WebServerVersionChanged,
    EndpointAdded,
    EndpointRemoved,
    ServedCertificateChanged,
}

/// <summary>One difference between two snapshots, with a sentence a person can read.</summary>
public sealed record InventoryChange(ChangeKind Kind, string Host, string Description, string? Before = null, string? After = null);

public static class InventoryDiff
{
    public static IReadOnlyList<InventoryChange> Compare(InventorySnapshot before, InventorySnapshot after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var changes = new List<InventoryChange>();
        var old = before.Hosts.ToDictionary(h => h.Name, StringComparer.Ordinal);
        var now = after.Hosts.ToDictionary(h => h.Name, StringComparer.Ordinal);
        foreach (var h in after.Hosts.Where(h => !old.ContainsKey(h.Name)))
        {
            changes.Add(new InventoryChange(ChangeKind.HostAdded, h.Name, $"host {h.Name} added"));
        }

        foreach (var h in before.Hosts.Where(h => !now.ContainsKey(h.Name)))
        {
            changes.Add(new InventoryChange(ChangeKind.HostRemoved, h.Name, $"host {h.Name} removed"));
        }

        foreach (var a in after.Hosts.Where(h => old.ContainsKey(h.Name)))
        {
            var b = old[a.Name];
            if (a.Status != b.Status)
            {
                changes.Add(new InventoryChange(ChangeKind.HostReachability, a.Name,
                    a.Status == HostStatus.Ok ? $"{a.Name} is reachable again" : $"{a.Name} now fails: {a.Failure?.Message}",
                    b.Status.ToString(), a.Status.ToString()));
            }

            // A host that failed now or then says nothing about its contents.
            if (a.Facts is null || b.Facts is null)
            {
                continue;
            }

            var osBefore = $"{b.Facts.Os.Id} {b.Facts.Os.VersionId}";
            var osAfter = $"{a.Facts.Os.Id} {a.Facts.Os.VersionId}";
            if (osBefore != osAfter)
            {
                changes.Add(new InventoryChange(ChangeKind.OsChanged, a.Name, $"{a.Name}: OS {osBefore} → {osAfter}", osBefore, osAfter));
            }

            var serversBefore = b.WebServers.ToDictionary(w => w.Server.Service, StringComparer.Ordinal);
            var serversAfter = a.WebServers.ToDictionary(w => w.Server.Service, StringComparer.Ordinal);
            foreach (var (service, w) in serversAfter)
            {
                if (!serversBefore.TryGetValue(service, out var wb))
                {
                    changes.Add(new InventoryChange(ChangeKind.WebServerAdded, a.Name, $"{a.Name}: {service} {w.Server.Version} installed", null, w.Server.Version));
                    continue;
                }

                if (wb.Server.Version != w.Server.Version)
                {
                    changes.Add(new InventoryChange(ChangeKind.WebServerVersionChanged, a.Name, $"{a.Name}: {service} {wb.Server.Version} → {w.Server.Version}", wb.Server.Version, w.Server.Version));
                }

                CompareEndpoints(a.Name, service, wb, w, changes);
            }

            foreach (var (service, wb) in serversBefore.Where(s => !serversAfter.ContainsKey(s.Key)))
            {
                changes.Add(new InventoryChange(ChangeKind.WebServerRemoved, a.Name, $"{a.Name}: {service} removed", wb.Server.Version, null));
            }
        }

        return changes;
    }

    private static string Key(EndpointInventory e) => $"{e.Config.Port} {string.Join(',', e.Config.ServerNames)}";

    private static void CompareEndpoints(string host, string service, WebServerInventory before, WebServerInventory after, List<InventoryChange> changes)
    {
        var old = before.Endpoints.GroupBy(Key).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var now = after.Endpoints.GroupBy(Key).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var (key, e) in now)
        {
            if (!old.TryGetValue(key, out var b))
            {
                changes.Add(new InventoryChange(ChangeKind.EndpointAdded, host, $"{host}: {service} endpoint :{key} added ({e.Config.Location})"));
            }
            else if (b.Served?.Sha256 != e.Served?.Sha256)
            {
                changes.Add(new InventoryChange(ChangeKind.ServedCertificateChanged, host,
                    $"{host}: {service} :{e.Config.Port} now serves {e.Served?.Subject ?? "nothing"} (until {e.Served?.NotAfter:yyyy-MM-dd}), was {b.Served?.Subject ?? "nothing"}",
                    b.Served?.Serial, e.Served?.Serial));
            }
        }

        foreach (var key in old.Keys.Where(k => !now.ContainsKey(k)))
        {
            changes.Add(new InventoryChange(ChangeKind.EndpointRemoved, host, $"{host}: {service} endpoint :{key} removed"));
        }
    }
}
