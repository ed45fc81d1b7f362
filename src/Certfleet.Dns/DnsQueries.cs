using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace Certfleet.Dns;

/// <summary>Queries sent to one chosen server, never through a cache.</summary>
internal static class DnsQueries
{
    /// <summary>
    /// A client that asks exactly <paramref name="servers"/>. <paramref name="recursion"/> is off for
    /// authoritative servers, so that an answer reflects their own zone data, not a cache.
    /// UDP first, TCP when the answer is truncated (RFC 7766).
    /// </summary>
    public static LookupClient Client(IReadOnlyList<IPEndPoint> servers, bool recursion, TimeSpan timeout) =>
        new(new LookupClientOptions(servers.Select(s => new NameServer(s)).ToArray())
        {
            Recursion = recursion,
            UseCache = false,
            UseTcpFallback = true,
            UseRandomNameServer = false,
            ThrowDnsErrors = false,
            ContinueOnDnsError = true,
            ContinueOnEmptyResponse = false,
            Retries = 1,
            Timeout = timeout,
        });

    /// <summary>A client for the system's resolvers (resolv.conf), used when none are configured.</summary>
    public static LookupClient SystemResolver(TimeSpan timeout) =>
        new(new LookupClientOptions
        {
            UseCache = false,
            UseTcpFallback = true,
            ThrowDnsErrors = false,
            ContinueOnDnsError = true,
            Retries = 1,
            Timeout = timeout,
        });

    public static string Normalize(string name) => name.TrimEnd('.').ToLowerInvariant();

    /// <summary>TXT values at exactly <paramref name="name"/>; a value split into several strings is joined.</summary>
    public static IReadOnlyList<string> TxtValues(IDnsQueryResponse response, string name) =>
        response.Answers.TxtRecords()
            .Where(r => Normalize(r.DomainName.Original) == Normalize(name))
            .Select(r => string.Concat(r.Text))
            .ToList();
}
