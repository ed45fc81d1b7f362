using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Certfleet.Store;

/// <summary>
/// ACME accounts under <c>accounts/HOST/HASH/{account.json,private_key.pem}</c>, one per directory URL.
/// HOST keeps the tree readable for people; HASH (of the exact directory URL) keeps staging, production
/// and test servers on one host apart. The key file is 0600 from creation.
/// </summary>
public sealed class AccountStore
{
    private const string AccountFileName = "account.json";
    private const string KeyFileName = "private_key.pem";

    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates an account store over <paramref name="stateDir"/>; touches nothing on disk.</summary>
    public AccountStore(string stateDir, TimeProvider? time = null, ILogger<AccountStore>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDir);
        StateDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(stateDir));
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Absolute path of the state directory.</summary>
    public string StateDirectory { get; }

    /// <summary>The directory holding the account for <paramref name="directoryUrl"/> (no I/O).</summary>
    public string GetAccountDirectory(string directoryUrl)
    {
        if (!Uri.TryCreate(directoryUrl, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException($"store: ACME directory URL '{directoryUrl}' is not an absolute http(s) URL", nameof(directoryUrl));
        }

        string host = uri.IdnHost.ToLowerInvariant().Replace(':', '_'); // IPv6 literals
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(directoryUrl)))[..32];
        return Path.Combine(StateDirectory, "accounts", host, hash);
    }

    /// <summary>
    /// Stores (or replaces) the account of <see cref="StoredAccount.DirectoryUrl"/>. The key must be PKCS#8 PEM.
    /// Returns the account as stored (with <see cref="StoredAccount.CreatedAt"/> set).
    /// </summary>
    public async Task<StoredAccount> SaveAsync(StoredAccount account, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        string directory = GetAccountDirectory(account.DirectoryUrl);
        if (string.IsNullOrWhiteSpace(account.AccountUrl))
        {
            throw new ArgumentException("store: an account needs its account URL (kid)", nameof(account));
        }

        if (!PemEncoding.TryFind(account.PrivateKeyPem, out PemFields fields)
            || account.PrivateKeyPem.AsSpan()[fields.Label] is not "PRIVATE KEY")
        {
            throw new ArgumentException("store: the account key must be an unencrypted PKCS#8 PEM (BEGIN PRIVATE KEY)", nameof(account));
        }

        StoredAccount stored = account.CreatedAt == default ? account with { CreatedAt = _time.GetUtcNow() } : account;
        FileOps.EnsureDirectory(directory);
        // Key first: account.json present means the account is complete.
        await FileOps.WriteAtomicAsync(Path.Combine(directory, KeyFileName), stored.PrivateKeyPem, FileOps.PrivateMode, cancellationToken);
        var file = new AccountFile(stored.DirectoryUrl, stored.AccountUrl, [.. stored.Contacts], stored.CreatedAt);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(file, StoreJsonContext.Default.AccountFile);
        await FileOps.WriteAtomicAsync(Path.Combine(directory, AccountFileName), json, FileOps.PrivateMode, cancellationToken);
        Log.AccountStored(_logger, stored.AccountUrl, stored.DirectoryUrl, directory);
        return stored;
    }

    /// <summary>The account for <paramref name="directoryUrl"/>, or null when none is stored.</summary>
    public async Task<StoredAccount?> LoadAsync(string directoryUrl, CancellationToken cancellationToken = default)
    {
        string directory = GetAccountDirectory(directoryUrl);
        string accountPath = Path.Combine(directory, AccountFileName);
        string? json = await FileOps.ReadTextOrNullAsync(accountPath, cancellationToken);
        if (json is null)
        {
            return null;
        }

        AccountFile file;
        try
        {
            file = JsonSerializer.Deserialize(json, StoreJsonContext.Default.AccountFile) ?? throw new JsonException("null document");
        }
        catch (JsonException e)
        {
            throw new StoreException($"store: {accountPath} is not valid account JSON; restore it from a backup or delete the directory to register a new account", e);
        }

        string keyPath = Path.Combine(directory, KeyFileName);
        string key = await FileOps.ReadTextOrNullAsync(keyPath, cancellationToken)
            ?? throw new StoreException($"store: {keyPath} is missing; restore it from a backup or delete {directory} to register a new account");
        return new StoredAccount(file.DirectoryUrl, file.AccountUrl, file.Contacts ?? [], key) { CreatedAt = file.CreatedAt };
    }
}
