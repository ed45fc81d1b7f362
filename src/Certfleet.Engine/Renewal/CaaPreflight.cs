using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace Certfleet.Engine.Renewal;

/// <summary>One CAA resource record (RFC 8659 §4.1).</summary>
public sealed record CaaRecord(byte Flags, string Tag, string Value)
{
    public bool Critical => (Flags & 0x80) != 0;
}

/// <summary>The CAA records at one name, or why they could not be read.</summary>
/// <param name="Records">The RRset; empty when the name has none (or does not exist).</param>
/// <param name="Error">Set when the lookup failed (SERVFAIL, timeout): the CA would refuse too.</param>
public sealed record CaaLookup(IReadOnlyList<CaaRecord> Records, string? Error = null);

/// <summary>Looks up CAA records; an abstraction so that the evaluation is testable without DNS.</summary>
public interface ICaaResolver
{
    Task<CaaLookup> LookupAsync(string name, CancellationToken cancellationToken);
}

/// <summary>CAA lookups through DnsClient, against the given resolvers or the system's.</summary>
public sealed class DnsClientCaaResolver : ICaaResolver
{
    private readonly LookupClient _client;

    public DnsClientCaaResolver(IReadOnlyList<IPEndPoint> servers, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var options = servers.Count == 0 ? new LookupClientOptions() : new LookupClientOptions(servers.Select(s => new NameServer(s)).ToArray());
        options.UseCache = false;
        options.UseTcpFallback = true;
        options.ThrowDnsErrors = false;
        options.ContinueOnDnsError = false;
        options.Retries = 1;
        options.Timeout = timeout;
        _client = new LookupClient(options);
    }

    public async Task<CaaLookup> LookupAsync(string name, CancellationToken cancellationToken)
    {
        IDnsQueryResponse response;
        try
        {
            response = await _client.QueryAsync(name, QueryType.CAA, QueryClass.IN, cancellationToken);
        }
        catch (DnsResponseException e)
        {
            return new CaaLookup([], $"CAA lookup of {name} failed: {e.Code}");
        }

        if (response.HasError)
        {
            return response.Header.ResponseCode switch
            {
                // NXDOMAIN: the name does not exist, so the climb goes on (RFC 8659 §3).
                // REFUSED: an authoritative-only server above its zones; treated as no record.
                DnsHeaderResponseCode.NotExistentDomain or DnsHeaderResponseCode.Refused => new CaaLookup([]),
                _ => new CaaLookup([], $"CAA lookup of {name} failed: {response.ErrorMessage}"),
            };
        }

        // A CNAME'd name answers with the target's records; all CAA records in the answer belong to the RRset.
        var records = response.Answers.CaaRecords().Select(r => new CaaRecord(r.Flags, r.Tag.ToLowerInvariant(), r.Value)).ToList();
        return new CaaLookup(records);
    }
}

/// <summary>Whether the CAA records permit the CA to issue for one name.</summary>
/// <param name="Name">The name as ordered (may be a wildcard).</param>
/// <param name="Allowed">False only when the records clearly forbid issuance.</param>
/// <param name="FoundAt">Where the relevant RRset was found; null when none.</param>
/// <param name="Reason">A sentence for the operator.</param>
public sealed record CaaVerdict(string Name, bool Allowed, string? FoundAt, string Reason);

/// <summary>
/// The CAA preflight: finds each name's relevant RRset by climbing to the parents (RFC 8659 §3) and checks
/// that one of the CA's issuer domains is authorized for dns-01 and this account (RFC 8657 §4).
/// </summary>
public sealed class CaaPreflight(ICaaResolver resolver)
{
    private static readonly HashSet<string> KnownTags = ["issue", "issuewild", "iodef", "issuemail", "issuevmc", "contactemail", "contactphone"];

    public async Task<IReadOnlyList<CaaVerdict>> CheckAsync(IReadOnlyList<string> names, IReadOnlyList<string> caIdentities, string? accountUri, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        var result = new List<CaaVerdict>();
        foreach (var name in names)
        {
            result.Add(await CheckOneAsync(name, caIdentities, accountUri, cancellationToken));
        }

        return result;
    }

    private async Task<CaaVerdict> CheckOneAsync(string name, IReadOnlyList<string> identities, string? accountUri, CancellationToken cancellationToken)
    {
        var wildcard = name.StartsWith("*.", StringComparison.Ordinal);
        var current = (wildcard ? name[2..] : name).TrimEnd('.').ToLowerInvariant();
        while (current.Length > 0)
        {
            var lookup = await resolver.LookupAsync(current, cancellationToken);
            if (lookup.Error is not null)
            {
                // The CA also refuses on a failed lookup, but the resolver here may not be the CA's: do not block.
                return new CaaVerdict(name, true, null, $"could not check CAA ({lookup.Error})");
            }

            if (lookup.Records.Count > 0)
            {
                return Evaluate(name, current, lookup.Records, wildcard, identities, accountUri);
            }

            var dot = current.IndexOf('.', StringComparison.Ordinal);
            current = dot < 0 ? "" : current[(dot + 1)..];
        }

        return new CaaVerdict(name, true, null, "no CAA records: any CA may issue");
    }

    /// <summary>RFC 8659 §4.2–4.3 with the RFC 8657 parameters, for the relevant RRset found at <paramref name="at"/>.</summary>
    internal static CaaVerdict Evaluate(string name, string at, IReadOnlyList<CaaRecord> records, bool wildcard, IReadOnlyList<string> identities, string? accountUri)
    {
        var unknownCritical = records.FirstOrDefault(r => r.Critical && !KnownTags.Contains(r.Tag));
        if (unknownCritical is not null)
        {
            return new CaaVerdict(name, false, at, $"CAA at {at} has a critical property '{unknownCritical.Tag}' the CA does not understand, so no CA may issue (RFC 8659 §4.1); remove it or clear its critical flag");
        }

        // issuewild, when present, governs wildcard names; otherwise issue does (§4.3).
        var tag = wildcard && records.Any(r => r.Tag == "issuewild") ? "issuewild" : "issue";
        var relevant = records.Where(r => r.Tag == tag).ToList();
        if (relevant.Count == 0)
        {
            return new CaaVerdict(name, true, at, $"CAA at {at} has no {tag} property: any CA may issue");
        }

        if (identities.Count == 0)
        {
            return new CaaVerdict(name, true, at, $"CAA at {at} restricts issuers, but the CA publishes no caaIdentities to compare; set renewal.caa.identities");
        }

        var reasons = new List<string>();
        foreach (var record in relevant)
        {
            var (issuer, parameters) = Parse(record.Value);
            if (issuer.Length == 0 || !identities.Contains(issuer, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            if (parameters.TryGetValue("validationmethods", out var methods)
                && !methods.Split(',', StringSplitOptions.TrimEntries).Contains("dns-01", StringComparer.OrdinalIgnoreCase))
            {
                reasons.Add($"\"{record.Value}\" allows only validation methods {methods}, not dns-01");
                continue;
            }

            if (parameters.TryGetValue("accounturi", out var uri) && !string.Equals(uri, accountUri, StringComparison.Ordinal))
            {
                reasons.Add(accountUri is null
                    ? $"\"{record.Value}\" is bound to an account, and this installation has none yet"
                    : $"\"{record.Value}\" is bound to another account than {accountUri}");
                continue;
            }

            return new CaaVerdict(name, true, at, $"CAA at {at} authorizes {issuer} ({tag})");
        }

        var listed = string.Join(", ", relevant.Select(r => $"\"{r.Value}\""));
        return new CaaVerdict(name, false, at, reasons.Count > 0
            ? $"CAA at {at} forbids this order: {string.Join("; ", reasons)}; change the CAA record or the account"
            : $"CAA at {at} authorizes only {listed} ({tag}), not {string.Join(" or ", identities)}; add {tag} \"{identities[0]}\" to the CAA records");
    }

    /// <summary>issuer-domain-name *(";" parameter) with parameter = tag "=" value (RFC 8659 §4.2).</summary>
    internal static (string Issuer, Dictionary<string, string> Parameters) Parse(string value)
    {
        var parts = value.Split(';');
        var issuer = parts[0].Trim().TrimEnd('.').ToLowerInvariant();
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in parts.Skip(1))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                parameters[part[..eq].Trim()] = part[(eq + 1)..].Trim();
            }
        }

        return (issuer, parameters);
    }
}
