using Certfleet.Configuration;
using Certfleet.Lab;
using Microsoft.Extensions.Logging.Abstractions;

namespace Certfleet.Dns.Rfc2136.Tests;

/// <summary>The whole DNS-01 path against a real BIND: journal, add, propagation, cleanup, sweep.</summary>
public sealed class SessionTests(BindFixture bind) : IClassFixture<BindFixture>
{
    private BindServer Server => bind.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private (Dns01Coordinator Coordinator, IReadOnlyDictionary<string, IDnsProvider> Providers) Create(IRecordJournal journal, BindServer? nameserver = null, TimeSpan? timeout = null)
    {
        var errors = new ConfigErrors();
        var root = ConfigNode.Parse($"""
            dns:
              propagation:
                timeout: {(int)(timeout ?? TimeSpan.FromSeconds(10)).TotalMilliseconds}ms
                interval: 100ms
                nameservers: ["{(nameserver ?? Server).Endpoint}"]
              providers:
                lab:
                  type: rfc2136
                  server: "{Server.Endpoint}"
                  tsigKeyName: {Server.TsigKeyName}
                  tsigAlgorithm: {Server.TsigAlgorithm}
                  tsigSecret: env:LAB_TSIG
            """, "certfleet.yaml", errors, n => n == "LAB_TSIG" ? Server.TsigSecretBase64 : null);
        var dns = root.GetSection(new ConfigKey("dns", ConfigValueKind.Section, "dns"));
        var options = DnsOptions.Read(dns);
        var providers = new DnsProviderRegistry([new Rfc2136ProviderFactory()]).CreateProviders(dns, new DnsProviderContext(NullLoggerFactory.Instance, TimeProvider.System));
        errors.ThrowIfAny();
        return (new Dns01Coordinator(providers, journal, new PropagationChecker(options), options), providers);
    }

    private static Dns01Challenge Challenge(string name, string value) => new(DomainName.Parse(name), value, "lab");

    [Fact]
    public async Task Nothing_is_left_after_a_successful_order()
    {
        var journal = new InMemoryRecordJournal();
        var (coordinator, _) = Create(journal);
        await using (var session = await coordinator.PublishAsync([Challenge("ok.example.test", "a1"), Challenge("*.ok.example.test", "a2"), Challenge("ok.other.test", "a3")], null, Ct))
        {
            Assert.Equal(["a1", "a2"], await Server.QueryTxtAsync("_acme-challenge.ok.example.test", Ct));
            Assert.Equal(["a3"], await Server.QueryTxtAsync("_acme-challenge.ok.other.test", Ct));
            Assert.Equal(["example.test", "example.test", "other.test"], session.Records.Select(r => r.Zone).Order());
            Assert.Equal(3, (await journal.ListAsync(Ct)).Count);
        }

        Assert.Empty(await Server.QueryTxtAsync("_acme-challenge.ok.example.test", Ct));
        Assert.Empty(await Server.QueryTxtAsync("_acme-challenge.ok.other.test", Ct));
        Assert.Empty(await journal.ListAsync(Ct));
    }

    [Fact]
    public async Task Nothing_is_left_after_a_failed_order()
    {
        await using var elsewhere = await BindServer.StartAsync(cancellationToken: Ct);
        var journal = new InMemoryRecordJournal();
        var (coordinator, _) = Create(journal, elsewhere, TimeSpan.FromMilliseconds(400));
        await Assert.ThrowsAsync<DnsPropagationException>(() => coordinator.PublishAsync([Challenge("fail.example.test", "f1"), Challenge("*.fail.example.test", "f2")], null, Ct));
        Assert.Empty(await Server.QueryTxtAsync("_acme-challenge.fail.example.test", Ct));
        Assert.Empty(await journal.ListAsync(Ct));
    }

    [Fact]
    public async Task Records_of_a_killed_run_are_swept_by_the_next()
    {
        var journal = new InMemoryRecordJournal();
        var (killed, _) = Create(journal);
        _ = await killed.PublishAsync([Challenge("crash.example.test", "c1"), Challenge("*.crash.example.test", "c2")], null, Ct);

        // The run died between its journal write and the update's answer.
        await Server.AddTxtAsync("_acme-challenge.crash.other.test", "c3", Ct);
        await journal.SaveAsync(new RecordJournalEntry("intent", "lab", "_acme-challenge.crash.other.test", "c3", DateTimeOffset.UtcNow), Ct);
        Assert.Equal(["c1", "c2"], await Server.QueryTxtAsync("_acme-challenge.crash.example.test", Ct));

        var (next, _) = Create(journal);
        var result = await next.SweepAsync(Ct);
        Assert.True(result.IsComplete, string.Join("; ", result.Errors));
        Assert.Equal(3, result.Removed);
        Assert.Empty(await Server.QueryTxtAsync("_acme-challenge.crash.example.test", Ct));
        Assert.Empty(await Server.QueryTxtAsync("_acme-challenge.crash.other.test", Ct));
        Assert.Empty(await journal.ListAsync(Ct));
    }
}
