using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Certfleet.Dns;

/// <summary>What to wait for: every value in <see cref="ExpectedValues"/> at <see cref="RecordName"/>.</summary>
/// <param name="ProviderNameservers">The zone's nameservers as the provider knows them (names or addresses), or null to discover them.</param>
public sealed record PropagationRequest(string Zone, string RecordName, IReadOnlyCollection<string> ExpectedValues, IReadOnlyList<string>? ProviderNameservers = null);

/// <summary>One nameserver's state: the expected values it does not serve yet, and why, if it failed to answer.</summary>
public sealed record NameserverStatus(string Nameserver, IReadOnlyList<string> MissingValues, string? Error = null)
{
    public bool IsReady => MissingValues.Count == 0 && Error is null;

    public override string ToString() =>
        IsReady ? $"{Nameserver}: ok"
        : Error is not null ? $"{Nameserver}: {Error}"
        : $"{Nameserver} lacks {string.Join(", ", MissingValues.Select(v => $"'{v}'"))}";
}

/// <summary>Progress of one record: how many of the nameservers serve all values.</summary>
public sealed record PropagationProgress(string RecordName, int Ready, int Total, TimeSpan Elapsed);

/// <summary>The outcome: <see cref="IsComplete"/>, or which nameservers lack which values when time ran out.</summary>
public sealed record PropagationResult(string Zone, string RecordName, bool IsComplete, IReadOnlyList<NameserverStatus> Nameservers, TimeSpan Elapsed, string? DiscoveryError = null)
{
    public string Describe() =>
        IsComplete
            ? $"{RecordName}: served by all {Nameservers.Count} nameservers after {Elapsed.TotalSeconds:0.#}s"
            : DiscoveryError is not null && Nameservers.Count == 0
                ? $"{RecordName}: no nameservers of {Zone} found ({DiscoveryError})"
                : $"{RecordName}: {Nameservers.Count(n => n.IsReady)} of {Nameservers.Count} nameservers serve every value after {Elapsed.TotalSeconds:0.#}s; {string.Join("; ", Nameservers.Where(n => !n.IsReady))}";
}

/// <summary>The records were not served by every authoritative nameserver in time.</summary>
public sealed class DnsPropagationException : Exception
{
    public DnsPropagationException(IReadOnlyList<PropagationResult> results)
        : base("dns: challenge records not published in time: " + string.Join(" | ", results.Where(r => !r.IsComplete).Select(r => r.Describe()))
            + "; raise dns.propagation.timeout if the provider is slow, or check that the nameservers serve the zone")
        => Results = results;

    public DnsPropagationException()
        : this([])
    {
    }

    public DnsPropagationException(string message)
        : base(message) => Results = [];

    public DnsPropagationException(string message, Exception innerException)
        : base(message, innerException) => Results = [];

    public IReadOnlyList<PropagationResult> Results { get; }
}

/// <summary>
/// Waits until every authoritative nameserver of a zone serves the expected TXT values. Each is asked
/// directly without recursion (so no cache hides a missing value), UDP with TCP fallback on truncation.
/// </summary>
public sealed class PropagationChecker
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(3);
    private readonly DnsOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public PropagationChecker(DnsOptions options, ILogger<PropagationChecker>? logger = null, TimeProvider? timeProvider = null)
    {
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// Port of nameservers found through NS records. Always 53 in the real world; tests against a lab
    /// server on another port change it.
    /// </summary>
    internal int DiscoveredNameserverPort { get; init; } = 53;

    /// <summary>Polls until complete or <see cref="PropagationOptions.Timeout"/>; a timeout is a result, not an exception.</summary>
    public async Task<PropagationResult> WaitAsync(PropagationRequest request, IProgress<PropagationProgress>? progress, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var expected = request.ExpectedValues.Distinct(StringComparer.Ordinal).ToList();
        IReadOnlyList<IPEndPoint>? servers = null;
        string? discoveryError = null;
        IReadOnlyList<NameserverStatus> statuses = [];
        var lastReady = -1;
        // Short first waits, doubling up to the configured interval: providers that publish within a second are
        // seen at once, and a late one is seen at most one interval after it appears.
        var interval = _options.Propagation.Interval;
        var step = _options.Propagation.FirstInterval is var first && first > TimeSpan.Zero && first < interval ? first : interval;

        while (true)
        {
            if (servers is null)
            {
                try
                {
                    servers = await FindNameserversAsync(request.Zone, request.ProviderNameservers, cancellationToken).ConfigureAwait(false);
                    Log.NameserversFound(_logger, request.Zone, string.Join(", ", servers));
                }
                catch (DnsProviderException e)
                {
                    discoveryError = e.Message;
                    Log.DiscoveryFailed(_logger, request.Zone, e.Message);
                }
            }

            if (servers is not null)
            {
                statuses = await Task.WhenAll(servers.Select(s => CheckAsync(s, request.RecordName, expected, cancellationToken))).ConfigureAwait(false);
                var ready = statuses.Count(s => s.IsReady);
                var elapsed = _time.GetElapsedTime(started);
                if (ready != lastReady)
                {
                    Log.Progress(_logger, request.RecordName, ready, statuses.Count);
                    lastReady = ready;
                }

                progress?.Report(new PropagationProgress(request.RecordName, ready, statuses.Count, elapsed));
                if (ready == statuses.Count)
                {
                    return new PropagationResult(request.Zone, request.RecordName, true, statuses, elapsed);
                }
            }

            var remaining = _options.Propagation.Timeout - _time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                var result = new PropagationResult(request.Zone, request.RecordName, false, statuses, _time.GetElapsedTime(started), discoveryError);
                Log.PropagationTimedOut(_logger, result.Describe());
                return result;
            }

            await Task.Delay(step < remaining ? step : remaining, _time, cancellationToken).ConfigureAwait(false);
            step = step * 2 < interval ? step * 2 : interval;
        }
    }

    /// <summary>
    /// The servers to check: the configured override; else the provider's list; else the zone's NS
    /// records. Names are resolved to A/AAAA through the configured resolvers.
    /// </summary>
    public async Task<IReadOnlyList<IPEndPoint>> FindNameserversAsync(string zone, IReadOnlyList<string>? providerNameservers, CancellationToken cancellationToken)
    {
        if (_options.Propagation.Nameservers.Count > 0)
        {
            var list = new List<IPEndPoint>();
            foreach (var ns in _options.Propagation.Nameservers)
            {
                list.AddRange(await ns.ResolveAsync(cancellationToken).ConfigureAwait(false));
            }

            return list.Distinct().ToList();
        }

        var resolver = Resolver();
        IReadOnlyList<string> hosts;
        if (providerNameservers is { Count: > 0 })
        {
            hosts = providerNameservers;
        }
        else
        {
            var response = await QueryAsync(resolver, zone, QueryType.NS, cancellationToken).ConfigureAwait(false);
            hosts = response.Answers.NsRecords().Select(r => r.NSDName.Value).ToList();
            if (hosts.Count == 0)
            {
                throw new DnsProviderException($"the zone {zone} has no NS records ({response.Header.ResponseCode}); check the zone name, or set dns.propagation.nameservers");
            }
        }

        var result = new List<IPEndPoint>();
        foreach (var host in hosts)
        {
            // A provider may name a server with its port (host:port, [v6]:port); NS records never carry one.
            if (!DnsServerEndpoint.TryParse(host, DiscoveredNameserverPort, out var endpoint, out var error))
            {
                throw new DnsProviderException($"the nameserver '{host}' of {zone} is not a host or host:port ({error}); set dns.propagation.nameservers");
            }

            if (IPAddress.TryParse(endpoint.Host, out var literal))
            {
                result.Add(new IPEndPoint(literal, endpoint.Port));
                continue;
            }

            var name = DnsQueries.Normalize(endpoint.Host);
            var a = await QueryAsync(resolver, name, QueryType.A, cancellationToken).ConfigureAwait(false);
            var aaaa = await QueryAsync(resolver, name, QueryType.AAAA, cancellationToken).ConfigureAwait(false);
            result.AddRange(a.Answers.ARecords().Select(r => new IPEndPoint(r.Address, endpoint.Port)));
            result.AddRange(aaaa.Answers.AaaaRecords().Select(r => new IPEndPoint(r.Address, endpoint.Port)));
        }

        if (result.Count == 0)
        {
            throw new DnsProviderException($"no address found for the nameservers of {zone} ({string.Join(", ", hosts)}); check the resolver, or set dns.propagation.nameservers");
        }

        return result.Distinct().ToList();
    }

    private LookupClient Resolver()
    {
        if (_options.Resolvers.Count == 0)
        {
            return DnsQueries.SystemResolver(QueryTimeout);
        }

        var endpoints = _options.Resolvers
            .Select(r => IPAddress.TryParse(r.Host, out var a) ? new IPEndPoint(a, r.Port) : null)
            .OfType<IPEndPoint>()
            .ToList();
        if (endpoints.Count == 0)
        {
            throw new DnsProviderException("dns.resolvers must be IP addresses (a resolver name would need a resolver to find it)");
        }

        return DnsQueries.Client(endpoints, recursion: true, QueryTimeout);
    }

    private static async Task<IDnsQueryResponse> QueryAsync(LookupClient client, string name, QueryType type, CancellationToken cancellationToken)
    {
        try
        {
            return await client.QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResponseException e)
        {
            throw new DnsProviderException($"no answer for {name} {type} from the resolver ({e.Code}); check dns.resolvers", e);
        }
    }

    private async Task<NameserverStatus> CheckAsync(IPEndPoint server, string name, IReadOnlyList<string> expected, CancellationToken cancellationToken)
    {
        var label = server.ToString();
        try
        {
            var client = DnsQueries.Client([server], recursion: false, QueryTimeout);
            var response = await client.QueryAsync(name, QueryType.TXT, QueryClass.IN, cancellationToken).ConfigureAwait(false);
            var rcode = response.Header.ResponseCode;
            if (rcode is not DnsHeaderResponseCode.NoError and not DnsHeaderResponseCode.NotExistentDomain)
            {
                return new NameserverStatus(label, expected, $"answered {rcode}");
            }

            var served = DnsQueries.TxtValues(response, name).ToHashSet(StringComparer.Ordinal);
            Log.Served(_logger, label, name, string.Join(",", served));
            return new NameserverStatus(label, expected.Where(v => !served.Contains(v)).ToList());
        }
        catch (DnsResponseException e)
        {
            return new NameserverStatus(label, expected, $"no answer ({e.Code})");
        }
    }
}
