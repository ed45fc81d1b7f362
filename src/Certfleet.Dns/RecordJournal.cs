using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Certfleet.Dns;

/// <summary>
/// A TXT record that certfleet is about to create or has created. Saved before the add is sent, so a
/// killed run leaves a trace that <see cref="Dns01Coordinator.SweepAsync"/> can clean up.
/// <see cref="HandleJson"/> is null until the provider returned a handle (the add may or may not have
/// happened: cleanup then matches by name and value).
/// </summary>
public sealed record RecordJournalEntry(string Id, string Provider, string Fqdn, string Value, DateTimeOffset CreatedAt, string? HandleJson = null)
{
    /// <summary>The handle to remove the record with: the saved one, or one with only name and value.</summary>
    public DnsRecordHandle ToHandle() =>
        HandleJson is null ? new DnsRecordHandle(Provider, Fqdn, Value, "", new Dictionary<string, string>()) : DnsRecordHandleJson.Deserialize(HandleJson);
}

/// <summary>
/// Where DNS-01 records are remembered between runs. The engine adapts its state store to this;
/// entries carry no secrets. Implementations must be safe for concurrent calls.
/// </summary>
public interface IRecordJournal
{
    /// <summary>Inserts or replaces the entry with the same <see cref="RecordJournalEntry.Id"/>, durably.</summary>
    Task SaveAsync(RecordJournalEntry entry, CancellationToken cancellationToken);

    /// <summary>Removes the entry; removing an unknown id succeeds.</summary>
    Task RemoveAsync(string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<RecordJournalEntry>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>A journal that lives as long as the process: for tests and dry runs.</summary>
public sealed class InMemoryRecordJournal : IRecordJournal
{
    private readonly ConcurrentDictionary<string, RecordJournalEntry> _entries = new(StringComparer.Ordinal);

    public Task SaveAsync(RecordJournalEntry entry, CancellationToken cancellationToken)
    {
        _entries[entry.Id] = entry;
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        _entries.TryRemove(id, out _);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<RecordJournalEntry>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<RecordJournalEntry>>(_entries.Values.OrderBy(e => e.CreatedAt).ThenBy(e => e.Id, StringComparer.Ordinal).ToList());
}

/// <summary>The JSON form of a <see cref="DnsRecordHandle"/> as journals store it.</summary>
public static class DnsRecordHandleJson
{
    public static string Serialize(DnsRecordHandle handle) =>
        JsonSerializer.Serialize(new Wire(handle.Provider, handle.Fqdn, handle.Value, handle.Zone, new Dictionary<string, string>(handle.Data, StringComparer.Ordinal)), HandleJsonContext.Default.Wire);

    public static DnsRecordHandle Deserialize(string json)
    {
        var wire = JsonSerializer.Deserialize(json, HandleJsonContext.Default.Wire)
            ?? throw new JsonException("dns: a journal entry's handle is null");
        return new DnsRecordHandle(wire.Provider, wire.Fqdn, wire.Value, wire.Zone ?? "", wire.Data ?? new Dictionary<string, string>());
    }

    internal sealed record Wire(string Provider, string Fqdn, string Value, string? Zone, Dictionary<string, string>? Data);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DnsRecordHandleJson.Wire))]
internal sealed partial class HandleJsonContext : JsonSerializerContext;
