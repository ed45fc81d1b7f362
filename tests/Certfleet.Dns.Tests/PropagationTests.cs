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
    public async Task Rounds_start_250_ms_apart_and_back_off_to_the_interval()
    {
        const string name = "_acme-challenge.backoff.example.test";
        var time = new JumpingTimeProvider();
        var rounds = 0;
        var options = DnsOptions.Default with
        {
            Propagation = new PropagationOptions(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), [new DnsServerEndpoint("127.0.0.1", Server.Port)]),
        };
        var result = await new PropagationChecker(options, timeProvider: time)
            .WaitAsync(new PropagationRequest("example.test", name, ["never"]), new SyncProgress<PropagationProgress>(_ => rounds++), Ct);

        Assert.False(result.IsComplete);
        // 0.25 + 0.5 + 1 + 2 + 2 + 2 + 2 = 9.75 s, then what is left of the 10 s timeout.
        Assert.Equal(new[] { 250, 500, 1000, 2000, 2000, 2000, 2000, 250 }.Select(ms => TimeSpan.FromMilliseconds(ms)), time.Delays);
        Assert.Equal(time.Delays.Count + 1, rounds);
        Assert.Equal(TimeSpan.FromSeconds(10), result.Elapsed);
    }

    [Fact]
    public async Task An_interval_shorter_than_the_first_step_is_used_from_the_start()
    {
        var time = new JumpingTimeProvider();
        var options = DnsOptions.Default with
        {
            Propagation = new PropagationOptions(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(100), [new DnsServerEndpoint("127.0.0.1", Server.Port)]),
        };
        var result = await new PropagationChecker(options, timeProvider: time)
            .WaitAsync(new PropagationRequest("example.test", "_acme-challenge.short.example.test", ["never"]), null, Ct);
        Assert.False(result.IsComplete);
        Assert.Equal(Enumerable.Repeat(TimeSpan.FromMilliseconds(100), 5), time.Delays);
    }

    [Fact]
    public async Task With_the_default_interval_a_value_written_after_the_first_round_is_seen_within_a_second()
    {
        const string name = "_acme-challenge.quick.example.test";
        var firstRound = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = DnsOptions.Default with
        {
            Propagation = PropagationOptions.Default with { Nameservers = [new DnsServerEndpoint("127.0.0.1", Server.Port)] },
        };
        var wait = new PropagationChecker(options).WaitAsync(
            new PropagationRequest("example.test", name, ["quick"]), new SyncProgress<PropagationProgress>(_ => firstRound.TrySetResult()), Ct);

        await firstRound.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await Server.AddTxtAsync(name, "quick", Ct);
        var added = Stopwatch.StartNew();
        var result = await wait;
        Assert.True(result.IsComplete, result.Describe());
        // The rounds after the first come 0.25 s, then 0.5 s, then 1 s apart; a fixed 2 s interval took up to 2 s.
        Assert.True(added.Elapsed < TimeSpan.FromSeconds(1.2), $"the wait ended {added.Elapsed} after the value appeared");
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
    public async Task A_port_given_by_the_provider_is_kept()
    {
        var checker = new PropagationChecker(DnsOptions.Default with { Resolvers = [new DnsServerEndpoint("127.0.0.1", Server.Port)] });
        var servers = await checker.FindNameserversAsync("example.test", [$"ns.example.test:{Server.Port}", "127.0.0.2:5300", "[::1]:5301", "127.0.0.3", "::1"], Ct);
        Assert.Equal(
            [
                new IPEndPoint(IPAddress.Loopback, Server.Port), new IPEndPoint(IPAddress.Parse("127.0.0.2"), 5300),
                new IPEndPoint(IPAddress.IPv6Loopback, 5301), new IPEndPoint(IPAddress.Parse("127.0.0.3"), 53), new IPEndPoint(IPAddress.IPv6Loopback, 53),
            ],
            servers);

        const string name = "_acme-challenge.ported.example.test";
        await Server.AddTxtAsync(name, "ported", Ct);
        var result = await checker.WaitAsync(new PropagationRequest("example.test", name, ["ported"], [$"127.0.0.1:{Server.Port}"]), null, Ct);
        Assert.True(result.IsComplete, result.Describe());
        Assert.Equal($"127.0.0.1:{Server.Port}", Assert.Single(result.Nameservers).Nameserver);

        var e = await Assert.ThrowsAsync<DnsProviderException>(() => checker.FindNameserversAsync("example.test", ["127.0.0.1:99999"], Ct));
        Assert.StartsWith("dns: the nameserver '127.0.0.1:99999' of example.test is not a host or host:port", e.Message, StringComparison.Ordinal);
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

    /// <summary>A clock that jumps by every timer's due time and fires it at once, recording the delays.</summary>
    private sealed class JumpingTimeProvider : TimeProvider
    {
        private readonly Lock _lock = new();
        private long _ticks = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero).UtcTicks;

        public List<TimeSpan> Delays { get; } = [];

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp()
        {
            lock (_lock)
            {
                return _ticks;
            }
        }

        public override DateTimeOffset GetUtcNow() => new(GetTimestamp(), TimeSpan.Zero);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                lock (_lock)
                {
                    Delays.Add(dueTime);
                    _ticks += dueTime.Ticks;
                }

                ThreadPool.QueueUserWorkItem(_ => callback(state));
            }

            return new NoTimer();
        }

        private sealed class NoTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
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
