using System.Diagnostics;

namespace Certfleet.Dns.Ovh.Tests;

/// <summary>The DNS-01 engine driving the OVH provider, as an issuance does (apex + wildcard, two values at one name).</summary>
public sealed class CoordinatorIntegrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DnsOptions Options(OvhLab lab) => DnsOptions.Default with
    {
        Propagation = new PropagationOptions(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200), [new DnsServerEndpoint("127.0.0.1", lab.Bind.Port)]),
    };

    [Fact]
    public async Task Apex_and_wildcard_are_published_waited_for_and_removed_through_delay_skew_and_500s()
    {
        await using var lab = await OvhLab.StartAsync(o => o with { PublicationDelay = TimeSpan.FromSeconds(2), ClockSkew = TimeSpan.FromSeconds(300), FailureRate = 0.2, Seed = 11 });
        using var provider = lab.Provider();
        var providers = new Dictionary<string, IDnsProvider> { ["lab"] = provider };
        var journal = new InMemoryRecordJournal();
        var coordinator = new Dns01Coordinator(providers, journal, new PropagationChecker(Options(lab)), Options(lab), lab.Logs);
        Dns01Challenge[] challenges =
        [
            new(DomainName.Parse("example.test"), "apex-value-0000000000000000000000000000000", "lab"),
            new(DomainName.Parse("*.example.test"), "wildcard-value-000000000000000000000000000", "lab"),
        ];

        var watch = Stopwatch.StartNew();
        await using (var session = await coordinator.PublishAsync(challenges, null, Ct))
        {
            watch.Stop();
            Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(1.8), TimeSpan.FromSeconds(20)); // the real delay, not a fixed sleep
            Assert.True(Assert.Single(session.Propagation).IsComplete);
            Assert.Equal(challenges.Select(c => c.Value).Order(), (await lab.Bind.TxtAsync("_acme-challenge.example.test")).Order());
        }

        Assert.Empty(await journal.ListAsync(Ct));
        await lab.AssertNothingLeftAsync();
        Assert.True(lab.Sim.Stats.InjectedFailures > 0);
        lab.AssertNoSecretLogged();
    }

    [Fact]
    public async Task Records_of_a_killed_run_are_swept_by_the_next_one()
    {
        await using var lab = await OvhLab.StartAsync();
        var journal = new InMemoryRecordJournal();
        using (var killed = lab.Provider())
        {
            // The run saved its journal entry, sent the add, and died before recording the handle.
            await journal.SaveAsync(new RecordJournalEntry("e1", "lab", "_acme-challenge.example.test", "left-behind", DateTimeOffset.UtcNow), Ct);
            var handle = await killed.AddTxtRecordAsync("_acme-challenge.example.test", "left-behind", Ct);
            await killed.PublishAsync([handle], Ct);
        }

        await lab.Sim.WaitForPublicationsAsync(Ct);
        Assert.Equal(["left-behind"], await lab.Bind.TxtAsync("_acme-challenge.example.test"));

        using var next = lab.Provider();
        var coordinator = new Dns01Coordinator(new Dictionary<string, IDnsProvider> { ["lab"] = next }, journal, new PropagationChecker(Options(lab)), Options(lab), lab.Logs);
        var result = await coordinator.SweepAsync(Ct);
        Assert.True(result.IsComplete, string.Join("; ", result.Errors));
        await lab.AssertNothingLeftAsync();
    }
}
