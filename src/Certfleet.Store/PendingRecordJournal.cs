using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Certfleet.Store;

/// <summary>
/// Journal of DNS records that may exist at the provider, in <c>pending/</c>: written before a record is
/// created and updated after, removed once the record is gone, so that the next run cleans up what a killed
/// run left. One file per entry (named by a hash of its id), each replaced atomically and fsynced, 0600.
/// </summary>
public sealed class PendingRecordJournal
{
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates a journal over <paramref name="stateDir"/>; touches nothing on disk.</summary>
    public PendingRecordJournal(string stateDir, TimeProvider? time = null, ILogger<PendingRecordJournal>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDir);
        Directory = Path.Combine(Path.GetFullPath(stateDir), "pending");
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Absolute path of the journal directory.</summary>
    public string Directory { get; }

    /// <summary>Adds an entry, or replaces the one with the same <paramref name="id"/> (keeping its creation time).</summary>
    public async Task<PendingRecordEntry> AddAsync(string id, string provider, JsonElement payload, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrWhiteSpace(provider);
        if (payload.ValueKind == JsonValueKind.Undefined)
        {
            throw new ArgumentException("store: the pending record payload is an undefined JSON element", nameof(payload));
        }

        string path = EntryPath(id);
        PendingRecordEntry? existing = await ReadEntryAsync(path, cancellationToken);
        DateTimeOffset created = existing?.Id == id ? existing.CreatedAt : _time.GetUtcNow();
        var entry = new PendingRecordEntry(id, provider, created, payload.Clone());
        await AddAsync(entry, cancellationToken);
        return entry;
    }

    /// <summary>Writes <paramref name="entry"/> exactly as given (its own creation time), replacing one with the same id.</summary>
    public async Task AddAsync(PendingRecordEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrEmpty(entry.Id);
        ArgumentException.ThrowIfNullOrWhiteSpace(entry.Provider);
        if (entry.Payload.ValueKind == JsonValueKind.Undefined)
        {
            throw new ArgumentException("store: the pending record payload is an undefined JSON element", nameof(entry));
        }

        FileOps.EnsureDirectory(Directory);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(entry, StoreJsonContext.Default.PendingRecordEntry);
        await FileOps.WriteAtomicAsync(EntryPath(entry.Id), json, FileOps.PrivateMode, cancellationToken);
        Log.PendingAdded(_logger, entry.Id, entry.Provider);
    }

    /// <summary>Adds an entry whose payload is JSON text.</summary>
    public Task<PendingRecordEntry> AddAsync(string id, string provider, string payloadJson, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payloadJson);
        JsonElement payload;
        try
        {
            using JsonDocument document = JsonDocument.Parse(payloadJson);
            payload = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ArgumentException("store: the pending record payload is not valid JSON", nameof(payloadJson), e);
        }

        return AddAsync(id, provider, payload, cancellationToken);
    }

    /// <summary>Removes the entry with <paramref name="id"/>; false when there was none.</summary>
    public Task<bool> RemoveAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        cancellationToken.ThrowIfCancellationRequested();
        string path = EntryPath(id);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }

        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw FileOps.Wrap(e, "removing", path);
        }

        FileOps.FsyncDirectory(Directory);
        Log.PendingRemoved(_logger, id);
        return Task.FromResult(true);
    }

    /// <summary>All entries, oldest first.</summary>
    public async Task<IReadOnlyList<PendingRecordEntry>> ListAsync(CancellationToken cancellationToken = default)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }

        List<PendingRecordEntry> entries = [];
        string[] files;
        try
        {
            files = System.IO.Directory.GetFiles(Directory, "*.json");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw FileOps.Wrap(e, "listing", Directory);
        }

        foreach (string file in files)
        {
            if (Path.GetFileName(file).StartsWith('.'))
            {
                continue; // temp file of an interrupted write
            }

            PendingRecordEntry? entry = await ReadEntryAsync(file, cancellationToken);
            if (entry is not null)
            {
                entries.Add(entry);
            }
        }

        return [.. entries.OrderBy(e => e.CreatedAt).ThenBy(e => e.Id, StringComparer.Ordinal)];
    }

    private string EntryPath(string id) =>
        Path.Combine(Directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..32] + ".json");

    private static async Task<PendingRecordEntry?> ReadEntryAsync(string path, CancellationToken cancellationToken)
    {
        string? json = await FileOps.ReadTextOrNullAsync(path, cancellationToken);
        if (json is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(json, StoreJsonContext.Default.PendingRecordEntry) ?? throw new JsonException("null document");
        }
        catch (JsonException e)
        {
            throw new StoreException(
                $"store: {path} is not a valid pending DNS record entry; check the DNS zone for a leftover _acme-challenge record, remove it by hand, then delete the file", e);
        }
    }
}
