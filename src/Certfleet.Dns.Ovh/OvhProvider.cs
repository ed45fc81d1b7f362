using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Certfleet.Dns.Ovh;

/// <summary>DNS-01 TXT records through the OVH API; changes are published by a zone refresh.</summary>
internal sealed class OvhProvider : IDnsProvider, IDisposable
{
    internal const string IdKey = "id";
    internal const string SubDomainKey = "subDomain";
    internal const string CnameFromKey = "cnameFrom";

    private readonly OvhOptions _options;
    private readonly OvhApiClient _api;
    private readonly ILogger _logger;
    private IReadOnlyList<string>? _zones;

    public OvhProvider(string name, OvhOptions options, OvhApiClient api, ILogger logger)
    {
        Name = name;
        _options = options;
        _api = api;
        _logger = logger;
    }

    public string Name { get; }

    public async Task<DnsRecordHandle> AddTxtRecordAsync(string fqdn, string value, CancellationToken cancellationToken)
    {
        var (name, zone, sub, cnameFrom) = await ResolveAsync(Normalize(fqdn), cancellationToken).ConfigureAwait(false);
        var body = JsonSerializer.Serialize(new RecordBody("TXT", sub, value, _options.Ttl), OvhJson.Default.RecordBody);
        var created = await _api.PostAsync($"/domain/zone/{Esc(zone)}/record", body, cancellationToken).ConfigureAwait(false);
        var id = created is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty("id", out var idElement) && idElement.TryGetInt64(out var n)
            ? n
            : throw new OvhApiException($"ovh: POST /domain/zone/{zone}/record answered without a record id; check endpoint");
        Log.Created(_logger, sub, zone, id);
        var data = new Dictionary<string, string>
        {
            [IdKey] = id.ToString(CultureInfo.InvariantCulture),
            [SubDomainKey] = sub,
        };
        if (cnameFrom is not null)
        {
            data[CnameFromKey] = cnameFrom;
        }

        return new DnsRecordHandle(Name, name, value, zone, data);
    }

    public async Task PublishAsync(IReadOnlyList<DnsRecordHandle> added, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(added);
        foreach (var zone in added.Select(h => h.Zone).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            await RefreshAsync(zone, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task RemoveTxtRecordsAsync(IReadOnlyList<DnsRecordHandle> handles, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handles);
        var touched = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var groups = new List<(string Zone, string Sub, List<DnsRecordHandle> Handles)>();
        foreach (var handle in handles)
        {
            string zone;
            string sub;
            if (!string.IsNullOrEmpty(handle.Zone) && handle.Data.TryGetValue(SubDomainKey, out var known))
            {
                (zone, sub) = (handle.Zone, known);
            }
            else
            {
                // A killed run's entry: find the record as the add did, CNAME included.
                (_, zone, sub, _) = await ResolveAsync(Normalize(handle.Fqdn), cancellationToken).ConfigureAwait(false);
            }

            var group = groups.Find(g => string.Equals(g.Zone, zone, StringComparison.OrdinalIgnoreCase) && string.Equals(g.Sub, sub, StringComparison.OrdinalIgnoreCase));
            if (group.Handles is null)
            {
                groups.Add((zone, sub, [handle]));
            }
            else
            {
                group.Handles.Add(handle);
            }
        }

        foreach (var (zone, sub, group) in groups)
        {
            var values = group.Select(h => h.Value).ToHashSet(StringComparer.Ordinal);
            var deleted = new HashSet<long>();

            // The persisted id first; its value is checked so that a reused id never costs someone else's record.
            foreach (var handle in group)
            {
                if (handle.Data.TryGetValue(IdKey, out var idText) && long.TryParse(idText, CultureInfo.InvariantCulture, out var id))
                {
                    var record = await GetRecordAsync(zone, id, cancellationToken).ConfigureAwait(false);
                    if (record is null)
                    {
                        continue;
                    }

                    if (IsOurs(record, sub, values))
                    {
                        await DeleteRecordAsync(zone, sub, id, cancellationToken).ConfigureAwait(false);
                        deleted.Add(id);
                        touched.Add(zone);
                    }
                    else
                    {
                        Log.NotOurs(_logger, id, zone);
                    }
                }
            }

            // Then by value: handles of a killed run have no id, and a retried POST may have made a twin.
            foreach (var id in await ListRecordIdsAsync(zone, "TXT", sub, cancellationToken).ConfigureAwait(false))
            {
                if (deleted.Contains(id))
                {
                    continue;
                }

                var record = await GetRecordAsync(zone, id, cancellationToken).ConfigureAwait(false);
                if (record is not null && IsOurs(record, sub, values))
                {
                    await DeleteRecordAsync(zone, sub, id, cancellationToken).ConfigureAwait(false);
                    deleted.Add(id);
                    touched.Add(zone);
                }
            }
        }

        foreach (var zone in touched)
        {
            await RefreshAsync(zone, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<string>?> GetAuthoritativeNameserversAsync(string zone, CancellationToken cancellationToken)
    {
        JsonElement? info;
        try
        {
            info = await _api.GetAsync($"/domain/zone/{Esc(Normalize(zone))}", cancellationToken).ConfigureAwait(false);
        }
        catch (OvhApiException e) when (e.Status == System.Net.HttpStatusCode.Forbidden)
        {
            // A service account granted only the record actions may not read the zone: NS lookup will do.
            Log.NoNameservers(_logger, zone, e.Message);
            return null;
        }

        if (info is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty("nameServers", out var ns) && ns.ValueKind == JsonValueKind.Array)
        {
            var list = ns.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!.TrimEnd('.')).ToList();
            return list.Count > 0 ? list : null;
        }

        return null;
    }

    /// <summary>The longest zone that <paramref name="fqdn"/> equals or ends with on a label boundary.</summary>
    internal static string? FindZone(string fqdn, IEnumerable<string> zones)
    {
        var name = Normalize(fqdn);
        string? best = null;
        foreach (var raw in zones)
        {
            var zone = Normalize(raw);
            if (zone.Length == 0)
            {
                continue;
            }

            var inside = name.Equals(zone, StringComparison.Ordinal) || name.EndsWith("." + zone, StringComparison.Ordinal);
            if (inside && (best is null || zone.Length > best.Length))
            {
                best = zone;
            }
        }

        return best;
    }

    /// <summary>A TXT target as OVH returns it: one pair of surrounding quotes (web UI records) removed.</summary>
    internal static string StripQuotes(string target) =>
        target.Length >= 2 && target[0] == '"' && target[^1] == '"' ? target[1..^1] : target;

    internal static string Normalize(string name) => name.Trim().TrimEnd('.').ToLowerInvariant();

    private static string Relative(string name, string zone) =>
        name.Length == zone.Length ? "" : name[..(name.Length - zone.Length - 1)];

    private static string Esc(string s) => Uri.EscapeDataString(s);

    private static bool IsOurs(OvhRecord record, string sub, HashSet<string> values) =>
        string.Equals(record.FieldType, "TXT", StringComparison.OrdinalIgnoreCase)
        && string.Equals(record.SubDomain ?? "", sub, StringComparison.OrdinalIgnoreCase)
        && values.Contains(StripQuotes(record.Target ?? ""));

    /// <summary>Where the TXT record of <paramref name="name"/> lives: its own zone, or the target of its CNAME.</summary>
    private async Task<(string Name, string Zone, string Sub, string? CnameFrom)> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        var zone = await ZoneForAsync(name, cancellationToken).ConfigureAwait(false);
        var sub = Relative(name, zone);

        // An _acme-challenge CNAME delegates validation to another name (RFC 8555 §8.4 lets CNAMEs be
        // followed); a TXT record cannot live beside a CNAME, so the record goes to the target.
        var target = await FindCnameAsync(zone, sub, cancellationToken).ConfigureAwait(false);
        if (target is null)
        {
            return (name, zone, sub, null);
        }

        var targetName = target.EndsWith('.') ? Normalize(target) : Normalize(target + "." + zone);
        var targetZone = FindZone(targetName, await ZonesAsync(cancellationToken).ConfigureAwait(false))
            ?? throw new OvhApiException($"ovh: {name} is a CNAME to {targetName}, which is in no OVH zone of this account; publish the TXT record in the DNS hosting {targetName}, or remove the CNAME") { BeforeAnyChange = true };
        Log.FollowingCname(_logger, name, targetName, targetZone);
        return (targetName, targetZone, Relative(targetName, targetZone), name);
    }

    private async Task<string> ZoneForAsync(string name, CancellationToken cancellationToken)
    {
        if (_options.Zone is { } configured)
        {
            if (FindZone(name, [configured]) is null)
            {
                throw new OvhApiException($"ovh: {name} is not inside zone {configured} set by zone:; fix zone: or remove it to let certfleet find the zone") { BeforeAnyChange = true };
            }

            return configured;
        }

        var zones = await ZonesAsync(cancellationToken).ConfigureAwait(false);
        var zone = FindZone(name, zones)
            ?? throw new OvhApiException($"ovh: no zone of this OVH account on {_options.BaseUrl} contains {name} (account zones: {(zones.Count == 0 ? "none" : string.Join(", ", zones))}); host the zone in this account, or check endpoint and credentials", "NOT_FOUND") { BeforeAnyChange = true };
        Log.ZoneSelected(_logger, zone, name);
        return zone;
    }

    private async Task<IReadOnlyList<string>> ZonesAsync(CancellationToken cancellationToken)
    {
        if (_zones is null)
        {
            var list = await _api.GetAsync("/domain/zone", cancellationToken).ConfigureAwait(false);
            _zones = list is { ValueKind: JsonValueKind.Array } a
                ? a.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => Normalize(e.GetString()!)).ToList()
                : [];
        }

        return _zones;
    }

    private async Task<string?> FindCnameAsync(string zone, string sub, CancellationToken cancellationToken)
    {
        foreach (var id in await ListRecordIdsAsync(zone, "CNAME", sub, cancellationToken).ConfigureAwait(false))
        {
            var record = await GetRecordAsync(zone, id, cancellationToken).ConfigureAwait(false);

            // subDomain is a LIKE filter ('_' matches any character): compare exactly.
            if (record is not null && string.Equals(record.FieldType, "CNAME", StringComparison.OrdinalIgnoreCase)
                && string.Equals(record.SubDomain ?? "", sub, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(record.Target))
            {
                return record.Target;
            }
        }

        return null;
    }

    private async Task<IReadOnlyList<long>> ListRecordIdsAsync(string zone, string type, string sub, CancellationToken cancellationToken)
    {
        var list = await _api.GetAsync($"/domain/zone/{Esc(zone)}/record?fieldType={type}&subDomain={Esc(sub)}", cancellationToken).ConfigureAwait(false);
        return list is { ValueKind: JsonValueKind.Array } a
            ? a.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Number).Select(e => e.GetInt64()).ToList()
            : [];
    }

    private async Task<OvhRecord?> GetRecordAsync(string zone, long id, CancellationToken cancellationToken)
    {
        try
        {
            var element = await _api.GetAsync($"/domain/zone/{Esc(zone)}/record/{id.ToString(CultureInfo.InvariantCulture)}", cancellationToken).ConfigureAwait(false);
            return element?.Deserialize(OvhJson.Default.OvhRecord);
        }
        catch (OvhApiException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task DeleteRecordAsync(string zone, string sub, long id, CancellationToken cancellationToken)
    {
        try
        {
            await _api.DeleteAsync($"/domain/zone/{Esc(zone)}/record/{id.ToString(CultureInfo.InvariantCulture)}", cancellationToken).ConfigureAwait(false);
            Log.Deleted(_logger, sub, zone, id);
        }
        catch (OvhApiException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
        {
            // Already gone (a retried DELETE whose first try went through): that is the goal.
        }
    }

    private async Task RefreshAsync(string zone, CancellationToken cancellationToken)
    {
        // The answer has been empty since 2023 (older clients expected JSON); nothing is read from it.
        await _api.PostAsync($"/domain/zone/{Esc(zone)}/refresh", null, cancellationToken).ConfigureAwait(false);
        Log.Refreshed(_logger, zone);
    }

    public void Dispose() => _api.Dispose();
}
