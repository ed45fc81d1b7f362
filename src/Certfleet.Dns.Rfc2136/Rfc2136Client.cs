using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net.Dns;
using ARSoft.Tools.Net.Dns.DynamicUpdate;
using ArDnsClient = ARSoft.Tools.Net.Dns.DnsClient;
using ArDomainName = ARSoft.Tools.Net.DomainName;

namespace Certfleet.Dns.Rfc2136;

/// <summary>Sends TSIG-signed DNS UPDATE messages (RFC 2136, RFC 8945) to one server.</summary>
internal sealed class Rfc2136Client
{
    // TSIG error codes (RFC 8945 §6); ARSoft's ReturnCode names 16 both BadVersion and BadSig.
    private const int BadSig = 16;
    private const int BadKey = 17;
    private const int BadTime = 18;
    private const int BadTrunc = 22;

    private readonly Rfc2136Options _options;
    private readonly TimeProvider _time;
    private readonly byte[] _secret;
    private readonly TSigAlgorithm _algorithm;
    private IReadOnlyList<IPEndPoint>? _endpoints;

    public Rfc2136Client(Rfc2136Options options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _secret = Convert.FromBase64String(options.TsigSecret.Reveal());
        _algorithm = options.TsigAlgorithm switch
        {
            "hmac-sha256" => TSigAlgorithm.Sha256,
            "hmac-sha384" => TSigAlgorithm.Sha384,
            "hmac-sha512" => TSigAlgorithm.Sha512,
            _ => throw new ArgumentException($"dns: rfc2136: unsupported TSIG algorithm {options.TsigAlgorithm}", nameof(options)),
        };
    }

    public async Task<IReadOnlyList<IPEndPoint>> EndpointsAsync(CancellationToken cancellationToken) =>
        _endpoints ??= await _options.Server.ResolveAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Adds one value to the TXT RRset at <paramref name="fqdn"/> (RFC 2136 §2.5.1): other values stay.</summary>
    public Task AddTxtAsync(string zone, string fqdn, string value, CancellationToken cancellationToken) =>
        SendAsync(zone, [new AddRecordUpdate(new TxtRecord(ArDomainName.Parse(fqdn), _options.Ttl, value))], $"add TXT {fqdn}", cancellationToken);

    /// <summary>Deletes exactly these values from their RRsets (RFC 2136 §2.5.4); a value already gone is no error.</summary>
    public Task DeleteTxtAsync(string zone, IReadOnlyList<(string Fqdn, string Value)> records, CancellationToken cancellationToken) =>
        SendAsync(
            zone,
            records.Select(r => (UpdateBase)new DeleteRecordUpdate(new TxtRecord(ArDomainName.Parse(r.Fqdn), 0, r.Value))).ToList(),
            $"delete {records.Count} TXT value(s) in {zone}",
            cancellationToken);

    /// <summary>
    /// An update with one prerequisite (the apex exists, RFC 2136 §2.4.4) and nothing to change: the
    /// server checks the TSIG signature and the key's standing for the zone, and changes nothing.
    /// </summary>
    public Task CheckAsync(string zone, CancellationToken cancellationToken) =>
        SendAsync(zone, [], $"check zone {zone}", cancellationToken, [new NameIsInUsePrequisite(ArDomainName.Parse(zone))]);

    private async Task SendAsync(string zone, IReadOnlyList<UpdateBase> updates, string what, CancellationToken cancellationToken, IReadOnlyList<PrequisiteBase>? prerequisites = null)
    {
        var endpoints = await EndpointsAsync(cancellationToken).ConfigureAwait(false);
        var message = new DnsUpdateMessage { ZoneName = ArDomainName.Parse(zone) };
        message.Updates.AddRange(updates);
        if (prerequisites is not null)
        {
            message.Prequisites.AddRange(prerequisites);
        }

        // RFC 8945 §5.2.3: the server checks Time Signed against its clock within Fudge (300 s recommended).
        message.TSigOptions = new TSigRecord(
            ArDomainName.Parse(_options.TsigKeyName),
            _algorithm,
            _time.GetUtcNow().UtcDateTime,
            TimeSpan.FromSeconds(300),
            message.TransactionID,
            ReturnCode.NoError,
            null,
            _secret);

        var port = _options.Server.Port;
        var client = new ArDnsClient(
            endpoints.Select(e => e.Address),
            [new UdpClientTransport(port), new TcpClientTransport(port)],
            false,
            (int)_options.Timeout.TotalMilliseconds);

        DnsUpdateMessage? response;
        try
        {
            response = await client.SendUpdateAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException)
        {
            throw Unreachable(what, e);
        }

        if (response is null)
        {
            throw Unreachable(what, null);
        }

        Check(response, zone, what);
    }

    private void Check(DnsUpdateMessage response, string zone, string what)
    {
        var server = _options.Server.ToString();
        var tsigError = (int?)response.TSigOptions?.Error ?? 0;
        var key = _options.TsigKeyName;
        switch (tsigError)
        {
            case BadSig:
                throw new DnsProviderException($"rfc2136: the server {server} refused the TSIG signature (BADSIG) of key '{key}': check tsigSecret and tsigAlgorithm") { NothingChanged = true };
            case BadKey:
                throw new DnsProviderException($"rfc2136: the server {server} does not know the TSIG key '{key}' with algorithm {_options.TsigAlgorithm} (BADKEY): check tsigKeyName and tsigAlgorithm against the server's key statement") { NothingChanged = true };
            case BadTime:
                throw new DnsProviderException($"rfc2136: the server {server} refused the TSIG signature because the clocks differ by more than 5 minutes (BADTIME): synchronise this machine's clock (NTP)") { NothingChanged = true };
            case BadTrunc:
                throw new DnsProviderException($"rfc2136: the server {server} refused the truncated TSIG MAC (BADTRUNC): check tsigAlgorithm") { NothingChanged = true };
            case not 0:
                throw new DnsProviderException($"rfc2136: the server {server} refused the TSIG signature of key '{key}' (TSIG error {tsigError})") { NothingChanged = true };
        }

        switch (response.ReturnCode)
        {
            case ReturnCode.NoError:
                // RFC 8945 §5.3.2: an unsigned or wrongly signed answer must not be trusted.
                if (response.TSigOptions is null || (int)response.TSigOptions.ValidationResult != 0)
                {
                    throw new DnsProviderException($"rfc2136: the answer of {server} to '{what}' is not signed with key '{key}' ({(response.TSigOptions is null ? "no TSIG" : response.TSigOptions.ValidationResult.ToString())}); the update may or may not have happened: check that the server is the one holding the key");
                }

                return;
            case ReturnCode.Refused:
                throw new DnsProviderException($"rfc2136: the server {server} refused '{what}' (REFUSED): the key '{key}' may not update zone {zone}; grant it in the server's update-policy (or allow-update), or check zone") { NothingChanged = true };
            case ReturnCode.NotAuthoritive:
                throw new DnsProviderException($"rfc2136: the server {server} is not authoritative for zone {zone} or does not accept key '{key}' for it (NOTAUTH): send updates to the zone's primary and check the key's rights") { NothingChanged = true };
            case ReturnCode.NotZone:
                throw new DnsProviderException($"rfc2136: '{what}': the name is not inside zone {zone} (NOTZONE): check zone") { NothingChanged = true };
            case ReturnCode.ServerFailure:
                throw new DnsProviderException($"rfc2136: the server {server} failed to apply '{what}' (SERVFAIL): see the server's log");
            case ReturnCode.NotImplemented:
                throw new DnsProviderException($"rfc2136: the server {server} does not implement dynamic updates (NOTIMP): use the zone's primary server") { NothingChanged = true };
            default:
                throw new DnsProviderException($"rfc2136: the server {server} answered '{what}' with {response.ReturnCode}");
        }
    }

    private DnsProviderException Unreachable(string what, Exception? inner)
    {
        var message = $"rfc2136: no answer from {_options.Server} within {_options.Timeout.TotalSeconds:0.#}s to '{what}': the server is unreachable; check server and that it accepts DNS on UDP and TCP";
        return inner is null ? new DnsProviderException(message) : new DnsProviderException(message, inner);
    }
}
