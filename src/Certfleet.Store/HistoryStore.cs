using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Certfleet.Store;

/// <summary>
/// The run history in <c>stateDir/history.db</c> (SQLite, 0600): orders, decisions, issuances, failures,
/// deployments and notifications. Entries older than the retention are deleted on each write, so the file
/// stays small. Each call opens its own connection; SQLite serialises writers from several processes.
/// </summary>
public sealed partial class HistoryStore
{
    /// <summary>File name of the database inside the state directory.</summary>
    public const string FileName = "history.db";

    /// <summary>Retention when none is configured.</summary>
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(400);

    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private bool _initialized;

    public HistoryStore(string stateDir, TimeSpan retention, TimeProvider? time = null, ILogger<HistoryStore>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDir);
        StateDirectory = Path.GetFullPath(stateDir);
        DatabasePath = System.IO.Path.Combine(StateDirectory, FileName);
        Retention = retention;
        _time = time ?? TimeProvider.System;
        _logger = logger;
    }

    public string StateDirectory { get; }

    /// <summary>Path of the database file.</summary>
    public string DatabasePath { get; }

    public TimeSpan Retention { get; }

    /// <summary>Whether the database exists (reads never create it).</summary>
    public bool Exists => File.Exists(DatabasePath);

    /// <summary>Appends an entry and prunes entries older than the retention; returns it with its id.</summary>
    public async Task<HistoryEntry> AddAsync(HistoryEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using var connection = await OpenAsync(create: true, cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO history (at, certificate, kind, outcome, message, names, account, ari, serial)
            VALUES ($at, $certificate, $kind, $outcome, $message, $names, $account, $ari, $serial);
            SELECT last_insert_rowid();
            """;
        insert.Parameters.AddWithValue("$at", entry.At.ToUnixTimeMilliseconds());
        insert.Parameters.AddWithValue("$certificate", entry.Certificate);
        insert.Parameters.AddWithValue("$kind", KindName(entry.Kind));
        insert.Parameters.AddWithValue("$outcome", entry.Outcome);
        insert.Parameters.AddWithValue("$message", (object?)entry.Message ?? DBNull.Value);
        insert.Parameters.AddWithValue("$names", string.Join(',', entry.Names));
        insert.Parameters.AddWithValue("$account", (object?)entry.Account ?? DBNull.Value);
        insert.Parameters.AddWithValue("$ari", entry.Ari ? 1 : 0);
        insert.Parameters.AddWithValue("$serial", (object?)entry.Serial ?? DBNull.Value);
        var id = Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);

        await using var prune = connection.CreateCommand();
        prune.Transaction = transaction;
        prune.CommandText = "DELETE FROM history WHERE at < $cutoff";
        prune.Parameters.AddWithValue("$cutoff", (_time.GetUtcNow() - Retention).ToUnixTimeMilliseconds());
        var pruned = await prune.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (pruned > 0 && _logger is not null)
        {
            LogPruned(_logger, pruned);
        }

        return entry with { Id = id };
    }

    /// <summary>Entries matching <paramref name="query"/>, newest first; empty when there is no database yet.</summary>
    public async Task<IReadOnlyList<HistoryEntry>> QueryAsync(HistoryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!Exists)
        {
            return [];
        }

        await using var connection = await OpenAsync(create: false, cancellationToken);
        await using var select = connection.CreateCommand();
        var where = new List<string>();
        if (query.Certificate is { } c)
        {
            where.Add("certificate = $certificate");
            select.Parameters.AddWithValue("$certificate", c);
        }

        if (query.Since is { } since)
        {
            where.Add("at >= $since");
            select.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
        }

        if (query.Kinds is { Count: > 0 } kinds)
        {
            var names = new List<string>();
            for (var i = 0; i < kinds.Count; i++)
            {
                names.Add("$k" + i.ToString(CultureInfo.InvariantCulture));
                select.Parameters.AddWithValue(names[^1], KindName(kinds[i]));
            }

            where.Add($"kind IN ({string.Join(", ", names)})");
        }

        select.CommandText = "SELECT id, at, certificate, kind, outcome, message, names, account, ari, serial FROM history"
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
            + " ORDER BY at DESC, id DESC LIMIT $limit";
        select.Parameters.AddWithValue("$limit", query.Limit);
        var result = new List<HistoryEntry>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var names = reader.GetString(6);
            result.Add(new HistoryEntry(
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                reader.GetString(2),
                ParseKind(reader.GetString(3)),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5))
            {
                Id = reader.GetInt64(0),
                Names = names.Length == 0 ? [] : names.Split(','),
                Account = reader.IsDBNull(7) ? null : reader.GetString(7),
                Ari = reader.GetInt64(8) != 0,
                Serial = reader.IsDBNull(9) ? null : reader.GetString(9),
            });
        }

        return result;
    }

    /// <summary>The stored and printed name of a kind, e.g. <c>authz-failed</c>.</summary>
    public static string KindName(HistoryKind kind) => kind switch
    {
        HistoryKind.Decision => "decision",
        HistoryKind.Order => "order",
        HistoryKind.Issued => "issued",
        HistoryKind.Failed => "failed",
        HistoryKind.AuthorizationFailed => "authz-failed",
        HistoryKind.Deployed => "deployed",
        HistoryKind.Notified => "notified",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    internal static HistoryKind ParseKind(string text) => text switch
    {
        "decision" => HistoryKind.Decision,
        "order" => HistoryKind.Order,
        "issued" => HistoryKind.Issued,
        "failed" => HistoryKind.Failed,
        "authz-failed" => HistoryKind.AuthorizationFailed,
        "deployed" => HistoryKind.Deployed,
        "notified" => HistoryKind.Notified,
        _ => throw new StoreException($"store: unknown history kind '{text}' in {FileName}; it was written by a newer certfleet"),
    };

    private async Task<SqliteConnection> OpenAsync(bool create, CancellationToken cancellationToken)
    {
        if (create)
        {
            FileOps.EnsureDirectory(StateDirectory);
            if (!File.Exists(DatabasePath))
            {
                // Created 0600 before SQLite opens it, so the history is never readable by others.
                try
                {
                    using var _ = new FileStream(DatabasePath, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileOps.PrivateMode });
                }
                catch (IOException) when (File.Exists(DatabasePath))
                {
                    // Another process created it first.
                }
            }
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = 30,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA busy_timeout = 10000;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            if (create && !_initialized)
            {
                await using var schema = connection.CreateCommand();
                schema.CommandText = """
                    CREATE TABLE IF NOT EXISTS history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        at INTEGER NOT NULL,
                        certificate TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        outcome TEXT NOT NULL,
                        message TEXT,
                        names TEXT NOT NULL DEFAULT '',
                        account TEXT,
                        ari INTEGER NOT NULL DEFAULT 0,
                        serial TEXT);
                    CREATE INDEX IF NOT EXISTS history_at ON history (at);
                    CREATE INDEX IF NOT EXISTS history_certificate ON history (certificate, at);
                    """;
                await schema.ExecuteNonQueryAsync(cancellationToken);
                _initialized = true;
            }

            return connection;
        }
        catch (SqliteException e)
        {
            await connection.DisposeAsync();
            throw new StoreException($"store: history database {DatabasePath} cannot be used ({e.Message}); move it aside and run again to start a new one", e);
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "Pruned {Count} history entries past the retention")]
    private static partial void LogPruned(ILogger logger, int count);
}
