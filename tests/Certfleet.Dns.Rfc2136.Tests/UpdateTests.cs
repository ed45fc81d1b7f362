using System.Net;
using System.Net.Sockets;
using Certfleet.Configuration;
using Certfleet.Lab;
using Microsoft.Extensions.Logging.Abstractions;

namespace Certfleet.Dns.Rfc2136.Tests;

public sealed class UpdateTests(BindFixture bind) : IClassFixture<BindFixture>
{
    private BindServer Server => bind.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Rfc2136Provider Provider(string? secret = null, string? keyName = null, string? zone = null, TimeProvider? time = null, int? port = null, TimeSpan? timeout = null) =>
        new(
            "lab",
            new Rfc2136Options(
                new DnsServerEndpoint("127.0.0.1", port ?? Server.Port),
                keyName ?? Server.TsigKeyName,
                Server.TsigAlgorithm,
                new Secret(secret ?? Server.TsigSecretBase64, "literal"),
                zone,
                60,
                timeout ?? TimeSpan.FromSeconds(3)),
            new DnsProviderContext(NullLoggerFactory.Instance, time ?? TimeProvider.System));

    [Fact]
    public async Task Two_values_at_one_name_coexist_and_removing_one_keeps_the_other()
    {
        const string name = "_acme-challenge.both.example.test";
        var provider = Provider();
        var first = await provider.AddTxtRecordAsync(name, "value-one", Ct);
        var second = await provider.AddTxtRecordAsync(name + ".", "value-two", Ct);
        Assert.Equal("example.test", first.Zone);
        Assert.Equal(name, second.Fqdn);
        Assert.Equal(["value-one", "value-two"], await Server.QueryTxtAsync(name, Ct));

        await provider.RemoveTxtRecordsAsync([first], Ct);
        Assert.Equal(["value-two"], await Server.QueryTxtAsync(name, Ct));

        // Already gone: still a success, and the other value stays.
        await provider.RemoveTxtRecordsAsync([first], Ct);
        Assert.Equal(["value-two"], await Server.QueryTxtAsync(name, Ct));
        await provider.RemoveTxtRecordsAsync([second], Ct);
        Assert.Empty(await Server.QueryTxtAsync(name, Ct));
    }

    [Fact]
    public async Task Values_added_by_others_are_never_touched()
    {
        const string name = "_acme-challenge.shared.other.test";
        await Server.AddTxtAsync(name, "not-ours", Ct);
        var provider = Provider();
        var handle = await provider.AddTxtRecordAsync(name, "ours", Ct);
        Assert.Equal("other.test", handle.Zone);
        Assert.Equal(["not-ours", "ours"], await Server.QueryTxtAsync(name, Ct));
        await provider.RemoveTxtRecordsAsync([handle], Ct);
        Assert.Equal(["not-ours"], await Server.QueryTxtAsync(name, Ct));
        await Server.RemoveAllTxtAsync(name, Ct);
    }

    [Fact]
    public async Task A_handle_without_zone_is_removed_after_SOA_discovery()
    {
        const string name = "_acme-challenge.nozone.other.test";
        var handle = await Provider(zone: "other.test").AddTxtRecordAsync(name, "v", Ct);
        Assert.Equal(["v"], await Server.QueryTxtAsync(name, Ct));
        await Provider().RemoveTxtRecordsAsync([handle with { Zone = "", Data = new Dictionary<string, string>() }], Ct);
        Assert.Empty(await Server.QueryTxtAsync(name, Ct));
    }

    [Fact]
    public async Task A_name_outside_the_configured_zone_is_refused_before_sending()
    {
        var e = await Assert.ThrowsAsync<DnsProviderException>(() => Provider(zone: "other.test").AddTxtRecordAsync("_acme-challenge.x.example.test", "v", Ct));
        Assert.Contains("is not inside the configured zone other.test", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_secret_is_reported_as_BADSIG()
    {
        var wrong = Convert.ToBase64String(new byte[32]);
        var e = await Assert.ThrowsAsync<DnsProviderException>(() => Provider(secret: wrong).AddTxtRecordAsync("_acme-challenge.badsig.example.test", "v", Ct));
        Assert.Equal($"dns: rfc2136: the server 127.0.0.1:{Server.Port} refused the TSIG signature (BADSIG) of key 'certfleet-test': check tsigSecret and tsigAlgorithm", e.Message);
        Assert.DoesNotContain(wrong, e.Message, StringComparison.Ordinal);
        Assert.Empty(await Server.QueryTxtAsync("_acme-challenge.badsig.example.test", Ct));
    }

    [Fact]
    public async Task An_unknown_key_is_reported_as_BADKEY()
    {
        var e = await Assert.ThrowsAsync<DnsProviderException>(() => Provider(keyName: "nobody").AddTxtRecordAsync("_acme-challenge.badkey.example.test", "v", Ct));
        Assert.Contains("does not know the TSIG key 'nobody' with algorithm hmac-sha256 (BADKEY)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_skewed_clock_is_reported_as_BADTIME()
    {
        var e = await Assert.ThrowsAsync<DnsProviderException>(() => Provider(time: new SkewedTime(TimeSpan.FromHours(1))).AddTxtRecordAsync("_acme-challenge.badtime.example.test", "v", Ct));
        Assert.Contains("clocks differ by more than 5 minutes (BADTIME): synchronise this machine's clock", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_without_rights_on_the_zone_is_refused_clearly()
    {
        var limited = Provider(secret: Server.LimitedTsigSecretBase64, keyName: Server.LimitedTsigKeyName);
        var e = await Assert.ThrowsAsync<DnsProviderException>(() => limited.AddTxtRecordAsync("_acme-challenge.norights.example.test", "v", Ct));
        Assert.Contains("(REFUSED): the key 'certfleet-limited' may not update zone example.test", e.Message, StringComparison.Ordinal);
        Assert.Empty(await Server.QueryTxtAsync("_acme-challenge.norights.example.test", Ct));

        // The same key may update the zone it was granted.
        var handle = await limited.AddTxtRecordAsync("_acme-challenge.rights.other.test", "v", Ct);
        Assert.Equal(["v"], await Server.QueryTxtAsync("_acme-challenge.rights.other.test", Ct));
        await limited.RemoveTxtRecordsAsync([handle], Ct);
    }

    [Fact]
    public async Task A_configured_zone_the_server_does_not_serve_is_NOTAUTH()
    {
        var e = await Assert.ThrowsAsync<DnsProviderException>(() => Provider(zone: "elsewhere.test").AddTxtRecordAsync("_acme-challenge.elsewhere.test", "v", Ct));
        Assert.Contains("is not authoritative for zone elsewhere.test", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silent_server_is_reported_as_unreachable()
    {
        // A bound UDP socket that never answers, and no TCP listener.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)silent.LocalEndPoint!).Port;
        var e = await Assert.ThrowsAsync<DnsProviderException>(() => Provider(zone: "example.test", port: port, timeout: TimeSpan.FromMilliseconds(500)).AddTxtRecordAsync("_acme-challenge.example.test", "v", Ct));
        Assert.Contains($"no answer from 127.0.0.1:{port} within 0.5s", e.Message, StringComparison.Ordinal);
        Assert.Contains("the server is unreachable", e.Message, StringComparison.Ordinal);
    }

    private sealed class SkewedTime(TimeSpan skew) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + skew;
    }
}
