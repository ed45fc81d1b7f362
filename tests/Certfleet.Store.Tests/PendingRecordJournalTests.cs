using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Certfleet.Store.Tests;

public sealed class PendingRecordJournalTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Entries_are_added_listed_and_removed()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        var journal = new PendingRecordJournal(_dir.State, _time);
        await journal.AddAsync("ovh/example.com/1", "ovh", """{"zone":"example.com","recordId":1553659745}""", ct);
        _time.Advance(TimeSpan.FromSeconds(1));
        using JsonDocument payload = JsonDocument.Parse("""{"zone":"example.org.","name":"_acme-challenge.example.org."}""");
        await journal.AddAsync("rfc2136/example.org", "rfc2136", payload.RootElement, ct);

        IReadOnlyList<PendingRecordEntry> entries = await journal.ListAsync(ct);
        Assert.Equal(["ovh/example.com/1", "rfc2136/example.org"], entries.Select(e => e.Id));
        Assert.Equal("ovh", entries[0].Provider);
        Assert.Equal(1553659745, entries[0].Payload.GetProperty("recordId").GetInt64());
        Assert.Equal(_time.GetUtcNow().AddSeconds(-1), entries[0].CreatedAt);
        Assert.Equal("_acme-challenge.example.org.", entries[1].Payload.GetProperty("name").GetString());

        Assert.True(await journal.RemoveAsync("ovh/example.com/1", ct));
        Assert.False(await journal.RemoveAsync("ovh/example.com/1", ct));
        Assert.Equal(["rfc2136/example.org"], (await journal.ListAsync(ct)).Select(e => e.Id));
    }

    [Fact]
    public async Task Entries_survive_a_crash_and_are_private()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        await new PendingRecordJournal(_dir.State, _time).AddAsync("a", "ovh", """{"recordId":7}""", ct);
        // A killed writer's temp file must not show up as an entry.
        string pending = Path.Combine(_dir.State, "pending");
        await File.WriteAllTextAsync(Path.Combine(pending, ".deadbeef.json.x.tmp"), "{\"id\":", ct);

        IReadOnlyList<PendingRecordEntry> entries = await new PendingRecordJournal(_dir.State).ListAsync(ct);

        PendingRecordEntry entry = Assert.Single(entries);
        Assert.Equal("a", entry.Id);
        Assert.Equal("""{"recordId":7}""", entry.PayloadJson);
        Assert.Equal(Certs.Dir0700, Certs.Mode(pending));
        foreach (string file in Directory.GetFiles(pending).Where(f => !Path.GetFileName(f).StartsWith('.')))
        {
            Assert.Equal(Certs.File0600, Certs.Mode(file));
        }
    }

    [Fact]
    public async Task Adding_an_existing_id_replaces_the_payload_and_keeps_the_creation_time()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        var journal = new PendingRecordJournal(_dir.State, _time);
        PendingRecordEntry before = await journal.AddAsync("rec", "ovh", """{"state":"creating"}""", ct);
        _time.Advance(TimeSpan.FromMinutes(1));
        await journal.AddAsync("rec", "ovh", """{"state":"created","recordId":9}""", ct);

        PendingRecordEntry entry = Assert.Single(await journal.ListAsync(ct));
        Assert.Equal("created", entry.Payload.GetProperty("state").GetString());
        Assert.Equal(before.CreatedAt, entry.CreatedAt);
    }

    [Fact]
    public async Task Concurrent_writers_do_not_clobber_each_other()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
            Task.Run(() => new PendingRecordJournal(_dir.State, _time).AddAsync("id-" + i, "ovh", "{\"n\":" + i + "}", ct), ct)));

        IReadOnlyList<PendingRecordEntry> entries = await new PendingRecordJournal(_dir.State).ListAsync(ct);
        Assert.Equal(24, entries.Count);
        Assert.Equal(Enumerable.Range(0, 24).Sum(), entries.Sum(e => e.Payload.GetProperty("n").GetInt32()));
    }

    [Fact]
    public async Task An_entry_written_as_given_keeps_its_own_creation_time()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        using JsonDocument payload = JsonDocument.Parse("""{"fqdn":"_acme-challenge.example.com.","value":"v"}""");
        var created = new DateTimeOffset(2024, 12, 31, 23, 0, 0, TimeSpan.Zero);
        await new PendingRecordJournal(_dir.State, _time).AddAsync(new PendingRecordEntry("e", "rfc2136", created, payload.RootElement.Clone()), ct);

        PendingRecordEntry entry = Assert.Single(await new PendingRecordJournal(_dir.State).ListAsync(ct));
        Assert.Equal(created, entry.CreatedAt);
        Assert.Equal("rfc2136", entry.Provider);
        Assert.Equal("v", entry.Payload.GetProperty("value").GetString());
    }

    [Fact]
    public async Task Invalid_payload_text_is_refused()
    {
        var journal = new PendingRecordJournal(_dir.State, _time);
        await Assert.ThrowsAsync<ArgumentException>(() => journal.AddAsync("x", "ovh", "{not json", TestContext.Current.CancellationToken));
        Assert.False(Directory.Exists(_dir.State));
    }
}
