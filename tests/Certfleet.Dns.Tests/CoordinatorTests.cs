using Certfleet.Lab;

namespace Certfleet.Dns.Tests;

public sealed class CoordinatorTests(BindFixture bind) : IClassFixture<BindFixture>
{
    private BindServer Server => bind.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DnsOptions Options(BindServer nameserver, TimeSpan timeout) => DnsOptions.Default with
    {
        Propagation = new PropagationOptions(timeout, TimeSpan.FromMilliseconds(100), [new DnsServerEndpoint("127.0.0.1", nameserver.Port)]),
        CleanupTimeout = TimeSpan.FromSeconds(10),
    };

    private static Dns01Coordinator Coordinator(IDnsProvider provider, IRecordJournal journal, DnsOptions options) =>
        new(new Dictionary<string, IDnsProvider> { [provider.Name] = provider }, journal, new PropagationChecker(options), options);

    private static Dns01Challenge Challenge(string name, string value, string provider = "lab") => new(DomainName.Parse(name), value, provider);

    [Fact]
    public async Task A_wildcard_and_its_apex_are_published_together_and_removed_after()
    {
        var journal = new InMemoryRecordJournal();
        var provider = new BindProvider(Server);
        var coordinator = Coordinator(provider, journal, Options(Server, TimeSpan.FromSeconds(10)));
        Dns01Challenge[] challenges = [Challenge("pair.example.test", "apex-value"), Challenge("*.pair.example.test", "wild-value"), Challenge("pair.other.test", "other-value")];

        var session = await coordinator.PublishAsync(challenges, null, Ct);
        Assert.Equal(["apex-value", "wild-value"], await Server.QueryTxtAsync("_acme-challenge.pair.example.test", Ct));
        Assert.Equal(["other-value"], await Server.QueryTxtAsync("_acme-challenge.pair.other.test", Ct));
        Assert.Equal(3, session.Records.Count);
        Assert.Equal(2, session.Propagation.Count);
        Assert.All(session.Propagation, p => Assert.True(p.IsComplete));
        Assert.Equal(1, provider.Published);
        var entries = await journal.ListAsync(Ct);
        Assert.Equal(3, entries.Count);
        Assert.All(entries, e => Assert.NotNull(e.HandleJson));
        Assert.Contains(entries, e => e.ToHandle().Data["n"] is "1" or "2" or "3");

        await session.DisposeAsync();
        Assert.Empty(await Server.QueryTxtAsync("_acme-challenge.pair.example.test", Ct));
        Assert.Empty(await Server.QueryTxtAsync("_acme-challenge.pair.other.test", Ct));
        Assert.Empty(await journal.ListAsync(Ct));

        // Cleanup runs once.
        var again = await session.CleanupAsync();
        Assert.Single(provider.Removed);
        Assert.Equal(3, again.Removed);
    }

    [Fact]
    public async Task Records_are_removed_when_propagation_times_out()
    {
        await using var elsewhere = await BindServer.StartAsync(cancellationToken: Ct);
        var journal = new InMemoryRecordJournal();
        var coordinator = Coordinator(new BindProvider(Server), journal, Options(elsewhere, TimeSpan.FromMilliseconds(500)));

        var e = await Assert.ThrowsAsync<DnsPropagationException>(() => coordinator.PublishAsync([Challenge("slow.example.test", "slow-value")], null, Ct));
        Assert.Contains("_acme-challenge.slow.example.test: 0 of 1 nameservers serve every value", e.Message, StringComparison.Ordinal);
        Assert.Contains("lacks 'slow-value'", e.Message, StringComparison.Ordinal);
        Assert.Single(e.Results);
        Assert.Empty(await Server.QueryTxtAsync("_acme-challenge.slow.example.test", Ct));
        Assert.Empty(await journal.ListAsync(Ct));
    }

    [Fact]
    public async Task Records_are_removed_when_the_run_is_cancelled()
    {
        await using var elsewhere = await BindServer.StartAsync(cancellationToken: Ct);
        var journal = new InMemoryRecordJournal();
        var coordinator = Coordinator(new BindProvider(Server), journal, Options(elsewhere, TimeSpan.FromMinutes(5)));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(700);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => coordinator.PublishAsync([Challenge("cancel.example.test", "cancel-value")], null, cts.Token));
        Assert.Empty(await Server.QueryTxtAsync("_acme-challenge.cancel.example.test", Ct));
        Assert.Empty(await journal.ListAsync(Ct));
    }

    [Fact]
    public async Task An_add_that_failed_after_reaching_the_server_is_removed_by_name_and_value()
    {
        var journal = new InMemoryRecordJournal();
        var provider = new BindProvider(Server) { FailAddNumber = 2 };
        var coordinator = Coordinator(provider, journal, Options(Server, TimeSpan.FromSeconds(5)));

        var e = await Assert.ThrowsAsync<DnsProviderException>(() => coordinator.PublishAsync([Challenge("lost.example.test", "first"), Challenge("*.lost.example.test", "second")], null, Ct));
        Assert.Equal("dns: lab: the answer to the add was lost", e.Message);
        Assert.Empty(await Server.QueryTxtAsync("_acme-challenge.lost.example.test", Ct));
        Assert.Empty(await journal.ListAsync(Ct));
        var removed = Assert.Single(provider.Removed);
        Assert.Contains(removed, h => h.Value == "second" && h.Data.Count == 0 && h.Zone.Length == 0);
        Assert.Contains(removed, h => h.Value == "first" && h.Data.Count == 1);
    }

    [Fact]
    public async Task Unknown_providers_are_refused_before_anything_is_added()
    {
        var journal = new InMemoryRecordJournal();
        var coordinator = Coordinator(new BindProvider(Server), journal, Options(Server, TimeSpan.FromSeconds(5)));
        var e = await Assert.ThrowsAsync<DnsProviderException>(() => coordinator.PublishAsync([Challenge("x.example.test", "v", "nope")], null, Ct));
        Assert.Equal("dns: no DNS provider named 'nope' is configured; known: lab", e.Message);
        Assert.Empty(await journal.ListAsync(Ct));
    }

    [Fact]
    public async Task A_sweep_removes_what_a_killed_run_left_behind()
    {
        var journal = new InMemoryRecordJournal();
        var killed = Coordinator(new BindProvider(Server), journal, Options(Server, TimeSpan.FromSeconds(5)));
        _ = await killed.PublishAsync([Challenge("killed.example.test", "k1"), Challenge("*.killed.example.test", "k2")], null, Ct);

        // An intent written just before the process died: the add reached the server, the handle never came back.
        await Server.AddTxtAsync("_acme-challenge.killed.other.test", "k3", Ct);
        await journal.SaveAsync(new RecordJournalEntry("intent", "lab", "_acme-challenge.killed.other.test", "k3", DateTimeOffset.UtcNow), Ct);
        await journal.SaveAsync(new RecordJournalEntry("gone", "retired", "_acme-challenge.gone.example.test", "k4", DateTimeOffset.UtcNow), Ct);

        // Not ours: must survive.
        await Server.AddTxtAsync("_acme-challenge.killed.example.test", "someone-else", Ct);

        var next = Coordinator(new BindProvider(Server), journal, Options(Server, TimeSpan.FromSeconds(5)));
        var result = await next.SweepAsync(Ct);

        Assert.Equal(3, result.Removed);
        Assert.Equal(["gone"], result.Left.Select(e => e.Id));
        Assert.Contains(result.Errors, e => e.Contains("provider 'retired', which is no longer configured", StringComparison.Ordinal));
        Assert.Equal(["someone-else"], await Server.QueryTxtAsync("_acme-challenge.killed.example.test", Ct));
        Assert.Empty(await Server.QueryTxtAsync("_acme-challenge.killed.other.test", Ct));
        Assert.Equal(["gone"], (await journal.ListAsync(Ct)).Select(e => e.Id));
        await Server.RemoveAllTxtAsync("_acme-challenge.killed.example.test", Ct);
    }

    [Fact]
    public void Handles_survive_the_journal_format()
    {
        var handle = new DnsRecordHandle("ovh", "_acme-challenge.example.com", "v", "example.com", new Dictionary<string, string> { ["id"] = "1553659745" });
        var back = DnsRecordHandleJson.Deserialize(DnsRecordHandleJson.Serialize(handle));
        Assert.Equal(handle.Provider, back.Provider);
        Assert.Equal(handle.Fqdn, back.Fqdn);
        Assert.Equal(handle.Zone, back.Zone);
        Assert.Equal("1553659745", back.Data["id"]);
        Assert.Contains("\"fqdn\":", DnsRecordHandleJson.Serialize(handle), StringComparison.Ordinal);
    }
}
