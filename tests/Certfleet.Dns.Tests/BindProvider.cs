using Certfleet.Lab;

namespace Certfleet.Dns.Tests;

/// <summary>A provider that writes to a lab BIND out of band, with knobs to fail.</summary>
internal sealed class BindProvider(BindServer server, string name = "lab") : IDnsProvider
{
    private int _adds;

    public string Name => name;

    /// <summary>The add with this 1-based number reaches the server, then throws (a lost answer).</summary>
    public int? FailAddNumber { get; init; }

    public List<IReadOnlyList<DnsRecordHandle>> Removed { get; } = [];

    public int Published { get; private set; }

    public async Task<DnsRecordHandle> AddTxtRecordAsync(string fqdn, string value, CancellationToken cancellationToken)
    {
        await server.AddTxtAsync(fqdn, value, cancellationToken);
        if (Interlocked.Increment(ref _adds) == FailAddNumber)
        {
            throw new DnsProviderException("lab: the answer to the add was lost");
        }

        var zone = server.Zones.First(z => fqdn.EndsWith("." + z, StringComparison.Ordinal));
        return new DnsRecordHandle(Name, fqdn, value, zone, new Dictionary<string, string> { ["n"] = _adds.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    public Task PublishAsync(IReadOnlyList<DnsRecordHandle> added, CancellationToken cancellationToken)
    {
        Published++;
        return Task.CompletedTask;
    }

    public async Task RemoveTxtRecordsAsync(IReadOnlyList<DnsRecordHandle> handles, CancellationToken cancellationToken)
    {
        Removed.Add(handles);
        foreach (var h in handles)
        {
            await server.RemoveTxtAsync(h.Fqdn, h.Value, cancellationToken);
        }
    }

    public Task<IReadOnlyList<string>?> GetAuthoritativeNameserversAsync(string zone, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>?>(null);
}
