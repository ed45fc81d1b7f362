using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace Certfleet.Dns;

/// <summary>
/// Finds the zone that holds a name by asking for SOA records, walking up one label at a time
/// (the approach of RFC 2136 §4: the update must name the zone). An answer's SOA, or the SOA in the
/// authority section of an NXDOMAIN/NODATA answer (RFC 2308 §3), names the zone apex.
/// </summary>
public sealed class SoaZoneFinder
{
    private readonly Func<LookupClient> _client;
    private readonly string _via;

    /// <summary>Asks <paramref name="servers"/>: a resolver, or an authoritative server such as the RFC 2136 primary.</summary>
    public SoaZoneFinder(IReadOnlyList<IPEndPoint> servers, TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfZero(servers.Count);
        var client = DnsQueries.Client(servers, recursion: true, timeout);
        _client = () => client;
        _via = string.Join(", ", servers);
    }

    /// <summary>Asks the system's resolvers.</summary>
    public SoaZoneFinder(TimeSpan timeout)
    {
        var client = DnsQueries.SystemResolver(timeout);
        _client = () => client;
        _via = "the system resolver";
    }

    /// <summary>The zone apex (no trailing dot) that holds <paramref name="fqdn"/>.</summary>
    /// <exception cref="DnsProviderException">No SOA was found up to the top-level domain.</exception>
    public async Task<string> FindZoneAsync(string fqdn, CancellationToken cancellationToken)
    {
        var name = DnsQueries.Normalize(fqdn);
        var problems = new List<string>();
        while (name.Contains('.', StringComparison.Ordinal))
        {
            IDnsQueryResponse response;
            try
            {
                response = await _client().QueryAsync(name, QueryType.SOA, QueryClass.IN, cancellationToken).ConfigureAwait(false);
            }
            catch (DnsResponseException e)
            {
                throw new DnsProviderException($"cannot find the zone of {fqdn}: no answer from {_via} ({e.Code}); check that the DNS server is reachable", e);
            }

            var soa = response.Answers.SoaRecords().FirstOrDefault() ?? response.Authorities.SoaRecords().FirstOrDefault();
            if (soa is not null)
            {
                var zone = DnsQueries.Normalize(soa.DomainName.Original);
                if (name == zone || name.EndsWith("." + zone, StringComparison.Ordinal))
                {
                    return zone;
                }
            }

            // REFUSED (not authoritative here), a referral, or a CNAME: try the parent.
            problems.Add($"{name}: {response.Header.ResponseCode}");
            name = name[(name.IndexOf('.', StringComparison.Ordinal) + 1)..];
        }

        throw new DnsProviderException($"cannot find the zone of {fqdn}: no SOA record from {_via} ({string.Join(", ", problems)}); set the provider's zone explicitly or check the name");
    }
}
