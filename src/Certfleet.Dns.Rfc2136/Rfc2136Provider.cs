using System.Collections.Concurrent;
using Certfleet.Dns;
using Microsoft.Extensions.Logging;

namespace Certfleet.Dns.Rfc2136;

/// <summary>DNS-01 records through RFC 2136 dynamic updates. Adds are live at once: publishing is a no-op.</summary>
public sealed partial class Rfc2136Provider : IDnsProvider, IDnsProviderPreflight
{
    private readonly Rfc2136Options _options;
    private readonly Rfc2136Client _client;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, string> _zones = new(StringComparer.Ordinal);

    public Rfc2136Provider(string name, Rfc2136Options options, DnsProviderContext context)
    {
        Name = name;
        _options = options;
        _client = new Rfc2136Client(options, context.TimeProvider);
        _logger = context.LoggerFactory.CreateLogger<Rfc2136Provider>();
    }

    public string Name { get; }

    public async Task<DnsRecordHandle> AddTxtRecordAsync(string fqdn, string value, CancellationToken cancellationToken)
    {
        var name = Normalize(fqdn);
        var zone = await ZoneOfAsync(name, cancellationToken).ConfigureAwait(false);
        LogAdding(_logger, name, value, zone);
        await _client.AddTxtAsync(zone, name, value, cancellationToken).ConfigureAwait(false);
        return new DnsRecordHandle(Name, name, value, zone, new Dictionary<string, string>());
    }

    public Task PublishAsync(IReadOnlyList<DnsRecordHandle> added, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task PreflightAsync(IReadOnlyList<string> recordNames, CancellationToken cancellationToken)
    {
        var zones = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in recordNames)
        {
            zones.Add(await ZoneOfAsync(Normalize(name), cancellationToken).ConfigureAwait(false));
        }

        foreach (var zone in zones)
        {
            await _client.CheckAsync(zone, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task RemoveTxtRecordsAsync(IReadOnlyList<DnsRecordHandle> handles, CancellationToken cancellationToken)
    {
        var byZone = new Dictionary<string, List<(string, string)>>(StringComparer.Ordinal);
        foreach (var handle in handles)
        {
            var name = Normalize(handle.Fqdn);
            var zone = handle.Zone.Length > 0 ? Normalize(handle.Zone) : await ZoneOfAsync(name, cancellationToken).ConfigureAwait(false);
            if (!byZone.TryGetValue(zone, out var list))
            {
                byZone[zone] = list = [];
            }

            LogRemoving(_logger, name, handle.Value, zone);
            list.Add((name, handle.Value));
        }

        foreach (var (zone, records) in byZone)
        {
            await _client.DeleteTxtAsync(zone, records, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The update server knows the zone; its NS records name the servers to check.</summary>
    public Task<IReadOnlyList<string>?> GetAuthoritativeNameserversAsync(string zone, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>?>(null);

    private async Task<string> ZoneOfAsync(string name, CancellationToken cancellationToken)
    {
        if (_options.Zone is { } configured)
        {
            if (name != configured && !name.EndsWith("." + configured, StringComparison.Ordinal))
            {
                throw new DnsProviderException($"rfc2136: provider '{Name}': {name} is not inside the configured zone {configured}; fix zone, or leave it out to find the zone by SOA");
            }

            return configured;
        }

        if (_zones.TryGetValue(name, out var cached))
        {
            return cached;
        }

        // The primary that takes the updates is authoritative for the zone, so it answers the SOA walk
        // itself; no resolver is needed (and split-horizon views are respected).
        var finder = new SoaZoneFinder(await _client.EndpointsAsync(cancellationToken).ConfigureAwait(false), _options.Timeout);
        var zone = await finder.FindZoneAsync(name, cancellationToken).ConfigureAwait(false);
        return _zones[name] = zone;
    }

    private static string Normalize(string name) => name.Trim().TrimEnd('.').ToLowerInvariant();

    [LoggerMessage(EventId = 200, Level = LogLevel.Debug, Message = "dns: rfc2136: adding TXT {Fqdn} = '{Value}' in zone {Zone}")]
    private static partial void LogAdding(ILogger logger, string fqdn, string value, string zone);

    [LoggerMessage(EventId = 201, Level = LogLevel.Debug, Message = "dns: rfc2136: removing TXT {Fqdn} = '{Value}' from zone {Zone}")]
    private static partial void LogRemoving(ILogger logger, string fqdn, string value, string zone);
}
