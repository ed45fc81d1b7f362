using System.Text.Json;
using System.Text.Json.Serialization;
using Certfleet.Dns;
using Certfleet.Store;

namespace Certfleet.Engine;

/// <summary>Keeps the DNS-01 record journal in the store's pending/ directory, so cleanup survives a crash.</summary>
internal sealed class JournalAdapter(PendingRecordJournal journal) : IRecordJournal
{
    public Task SaveAsync(RecordJournalEntry entry, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToElement(new JournalPayload(entry.Fqdn, entry.Value, entry.HandleJson), JournalJson.Default.JournalPayload);
        return journal.AddAsync(new PendingRecordEntry(entry.Id, entry.Provider, entry.CreatedAt, payload), cancellationToken);
    }

    public Task RemoveAsync(string id, CancellationToken cancellationToken) => journal.RemoveAsync(id, cancellationToken);

    public async Task<IReadOnlyList<RecordJournalEntry>> ListAsync(CancellationToken cancellationToken)
    {
        var entries = await journal.ListAsync(cancellationToken);
        var result = new List<RecordJournalEntry>(entries.Count);
        foreach (var e in entries)
        {
            var payload = e.Payload.Deserialize(JournalJson.Default.JournalPayload);
            if (payload is not null)
            {
                result.Add(new RecordJournalEntry(e.Id, e.Provider, payload.Fqdn, payload.Value, e.CreatedAt, payload.Handle));
            }
        }

        return result;
    }
}

internal sealed record JournalPayload(string Fqdn, string Value, string? Handle);

[JsonSerializable(typeof(JournalPayload))]
internal sealed partial class JournalJson : JsonSerializerContext;
