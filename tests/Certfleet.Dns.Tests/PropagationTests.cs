using System.Diagnostics;
using System.Net;
using Certfleet.Lab;

namespace Certfleet.Dns.Tests;

public sealed class PropagationTests(BindFixture bind) : IClassFixture<BindFixture>
{
    private BindServer Server => bind.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PropagationChecker Checker(TimeSpan timeout, params BindServer[] servers) =>
        new(DnsOptions.Default with
        {
            Propagation = new PropagationOptions(timeout, TimeSpan.FromMilliseconds(100), servers.Select(s => new DnsServerEndpoint("127.0.0.1", s.Port)).ToList()),
        });

    [Fact]
    public async Task The_wait_ends_soon_after_a_late_value_appears()
    {
        const string name = "_acme-challenge.late.example.test";
        var reports = new List<PropagationProgress>();
        var progress = new SyncProgress<PropagationProgress>(reports.Add);
        var clock = Stopwatch.StartNew();
        var wait = Checker(TimeSpan.FromSeconds(20), Server).WaitAsync(new PropagationRequest("example.test", name, ["late-value"]), progress, Ct);

        await Task.Delay(800, Ct);
        Assert.False(wait.IsCompleted);
        var added = clock.Elapsed;
        await Server.AddTxtAsync(name, "late-value", Ct);

        var result = await wait;
        var after = clock.Elapsed - added;
        Assert.True(result.IsComplete, result.Describe());
        Assert.True(after < TimeSpan.FromSeconds(1.5), $"the wait ended {after} after the value appeared");
        Assert.Contains(reports, r => r.Ready == 0 && r.Total == 1);
        Assert.Equal(1, reports[^1].Ready);
    }

    [Fact]
    public async Task A_timeout_says_which_value_is_missing()
    {
        const string name = "_acme-challenge.partial.example.test";
        await Server.AddTxtAsync(name, "present", Ct);
        var result = await Checker(TimeSpan.FromMilliseconds(600), Server).WaitAsync(new PropagationRequest("example.test", name, ["present", "absent"]), null, Ct);

        Assert.False(result.IsComplete);
        var status = Assert.Single(result.Nameservers);
        Assert.Equal(["absent"], status.MissingValues);
        Assert.Contains($"127.0.0.1:{Server.Port} lacks 'absent'", result.Describe(), StringComparison.Ordinal);
        Assert.True(result.Elapsed >= TimeSpan.FromMilliseconds(600));
    }

    [Fact]
    public async Task Every_nameserver_must_serve_every_value()
    {
        await using var second = await BindServer.StartAsync(cancellationToken: Ct);
        const string name = "_acme-challenge.two.example.test";
        await Server.AddTxtAsync(name, "v1", Ct);
        await Server.AddTxtAsync(name, "v2", Ct);
        await second.AddTxtAsync(name, "v1", Ct);

        var checker = Checker(TimeSpan.FromSeconds(10), Server, second);
        var wait = checker.WaitAsync(new PropagationRequest("example.test", name, ["v1", "v2"]), null, Ct);
        await Task.Delay(500, Ct);
        Assert.False(wait.IsCompleted);
        await second.AddTxtAsync(name, "v2", Ct);
        var result = await wait;
        Assert.True(result.IsComplete, result.Describe());
        Assert.Equal(2, result.Nameservers.Count);

        var timedOut = await Checker(TimeSpan.FromMilliseconds(300), Server, second).WaitAsync(new PropagationRequest("example.test", name, ["v1", "v3"]), null, Ct);
        Assert.False(timedOut.IsComplete);
        Assert.All(timedOut.Nameservers, n => Assert.Equal(["v3"], n.MissingValues));
    }

    [Fact]
    public async Task Nameservers_are_discovered_from_NS_records_through_the_resolver()
    {
        var checker = new PropagationChecker(DnsOptions.Default with { Resolvers = [new DnsServerEndpoint("127.0.0.1", Server.Port)] })
        {
            DiscoveredNameserverPort = Server.Port,
        };
        var servers = await checker.FindNameserversAsync("other.test", null, Ct);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, Server.Port)], servers);

        var fromProvider = await checker.FindNameserversAsync("other.test", ["ns.example.test", "127.0.0.2"], Ct);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, Server.Port), new IPEndPoint(IPAddress.Parse("127.0.0.2"), Server.Port)], fromProvider);

        var e = await Assert.ThrowsAsync<DnsProviderException>(() => checker.FindNameserversAsync("nothere.test", null, Ct));
        Assert.Contains("the zone nothere.test has no NS records (Refused)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_override_replaces_discovery()
    {
        var checker = Checker(TimeSpan.FromSeconds(1), Server);
        var servers = await checker.FindNameserversAsync("unknown.zone", ["ns1.elsewhere.test"], Ct);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, Server.Port)], servers);
    }

    [Theory]
    [InlineData("_acme-challenge.www.example.test", "example.test")]
    [InlineData("_acme-challenge.other.test", "other.test")]
    [InlineData("other.test", "other.test")]
    [InlineData("ns.example.test.", "example.test")]
    public async Task The_zone_is_found_by_SOA(string name, string zone)
    {
        var finder = new SoaZoneFinder([new IPEndPoint(IPAddress.Loopback, Server.Port)], TimeSpan.FromSeconds(2));
        Assert.Equal(zone, await finder.FindZoneAsync(name, Ct));
    }

    [Fact]
    public async Task A_name_outside_every_zone_has_no_zone()
    {
        var finder = new SoaZoneFinder([new IPEndPoint(IPAddress.Loopback, Server.Port)], TimeSpan.FromSeconds(2));
        var e = await Assert.ThrowsAsync<DnsProviderException>(() => finder.FindZoneAsync("_acme-challenge.www.elsewhere.test", Ct));
        Assert.StartsWith("dns: cannot find the zone of _acme-challenge.www.elsewhere.test: no SOA record", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Progress{T} posts to the thread pool; this reports inline so the test sees every report.</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        private readonly Lock _lock = new();

        public void Report(T value)
        {
            lock (_lock)
            {
                report(value);
            }
        }
    }
}
