using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;

namespace Certfleet.Store.Tests;

public sealed class AccountStoreTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private static string NewKeyPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }

    [Fact]
    public async Task Account_round_trips_with_the_key_in_a_0600_file()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        const string directoryUrl = "https://acme-staging-v02.api.letsencrypt.org/directory";
        string key = NewKeyPem();
        var store = new AccountStore(_dir.State, _time);
        StoredAccount saved = await store.SaveAsync(
            new StoredAccount(directoryUrl, "https://acme-staging-v02.api.letsencrypt.org/acme/acct/123", ["mailto:ops@example.com"], key), ct);

        StoredAccount? loaded = await new AccountStore(_dir.State).LoadAsync(directoryUrl, ct);

        Assert.NotNull(loaded);
        Assert.Equal(directoryUrl, loaded.DirectoryUrl);
        Assert.Equal("https://acme-staging-v02.api.letsencrypt.org/acme/acct/123", loaded.AccountUrl);
        Assert.Equal(["mailto:ops@example.com"], loaded.Contacts);
        Assert.Equal(key, loaded.PrivateKeyPem);
        Assert.Equal(_time.GetUtcNow(), loaded.CreatedAt);
        Assert.Equal(saved.CreatedAt, loaded.CreatedAt);

        string directory = store.GetAccountDirectory(directoryUrl);
        Assert.Equal(Path.Combine(_dir.State, "accounts", "acme-staging-v02.api.letsencrypt.org"), Path.GetDirectoryName(directory));
        Assert.Equal(32, Path.GetFileName(directory).Length);
        Assert.Equal(Certs.File0600, Certs.Mode(Path.Combine(directory, "private_key.pem")));
        Assert.Equal(Certs.Dir0700, Certs.Mode(directory));
        Assert.Equal(Certs.Dir0700, Certs.Mode(Path.Combine(_dir.State, "accounts")));
        Assert.Equal(["account.json", "private_key.pem"], Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("PRIVATE KEY", await File.ReadAllTextAsync(Path.Combine(directory, "account.json"), ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Directories_on_the_same_host_get_separate_accounts()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        var store = new AccountStore(_dir.State, _time);
        await store.SaveAsync(new StoredAccount("https://127.0.0.1:14000/dir", "https://127.0.0.1:14000/acct/1", [], NewKeyPem()), ct);
        await store.SaveAsync(new StoredAccount("https://127.0.0.1:15000/dir", "https://127.0.0.1:15000/acct/2", [], NewKeyPem()), ct);

        Assert.Equal("https://127.0.0.1:14000/acct/1", (await store.LoadAsync("https://127.0.0.1:14000/dir", ct))?.AccountUrl);
        Assert.Equal("https://127.0.0.1:15000/acct/2", (await store.LoadAsync("https://127.0.0.1:15000/dir", ct))?.AccountUrl);
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(_dir.State, "accounts", "127.0.0.1")).Length);
    }

    [Fact]
    public async Task Only_pkcs8_keys_are_accepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var account = new StoredAccount("https://acme.test/dir", "https://acme.test/acct/1", [], key.ExportECPrivateKeyPem());
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => new AccountStore(_dir.State).SaveAsync(account, TestContext.Current.CancellationToken));
        Assert.StartsWith("store: ", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir.State));
    }

    [Fact]
    public async Task A_missing_key_file_is_an_error_that_says_what_to_do()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        var store = new AccountStore(_dir.State);
        await store.SaveAsync(new StoredAccount("https://acme.test/dir", "https://acme.test/acct/1", [], NewKeyPem()), ct);
        File.Delete(Path.Combine(store.GetAccountDirectory("https://acme.test/dir"), "private_key.pem"));

        var ex = await Assert.ThrowsAsync<StoreException>(() => store.LoadAsync("https://acme.test/dir", ct));
        Assert.StartsWith("store: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("register a new account", ex.Message, StringComparison.Ordinal);
    }
}
