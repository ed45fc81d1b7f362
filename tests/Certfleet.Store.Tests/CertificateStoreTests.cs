using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Certfleet.Store.Tests;

public sealed class CertificateStoreTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private CertificateStore Store() => new(_dir.State, _time);

    [Fact]
    public async Task Save_writes_a_version_directory_and_a_live_link_with_private_modes()
    {
        CertificateBundle bundle = Certs.Bundle();
        StoredCertificate stored = await Store().SaveAsync("example.com", bundle, TestContext.Current.CancellationToken);

        string live = Path.Combine(_dir.State, "live", "example.com");
        string version = Path.Combine(_dir.State, "archive", "example.com", "0001");
        Assert.Equal(Path.Combine("..", "archive", "example.com", "0001"), new FileInfo(live).LinkTarget);
        Assert.Equal(bundle.FullChainPem, await File.ReadAllTextAsync(Path.Combine(live, "fullchain.pem"), TestContext.Current.CancellationToken));
        Assert.Equal(bundle.PrivateKeyPem, await File.ReadAllTextAsync(Path.Combine(live, "privkey.pem"), TestContext.Current.CancellationToken));
        Assert.Equal(bundle.CertificatePem, await File.ReadAllTextAsync(Path.Combine(live, "cert.pem"), TestContext.Current.CancellationToken));
        Assert.Equal(bundle.ChainPem, await File.ReadAllTextAsync(Path.Combine(live, "chain.pem"), TestContext.Current.CancellationToken));

        foreach (string directory in new[] { _dir.State, Path.Combine(_dir.State, "live"), Path.Combine(_dir.State, "archive"), Path.GetDirectoryName(version)!, version })
        {
            Assert.Equal(Certs.Dir0700, Certs.Mode(directory));
        }

        Assert.Equal(Certs.File0600, Certs.Mode(Path.Combine(version, "privkey.pem")));
        Assert.Equal(Certs.File0644, Certs.Mode(Path.Combine(version, "cert.pem")));
        Assert.Equal(Certs.File0644, Certs.Mode(Path.Combine(version, "fullchain.pem")));

        // No staging directory or temp link left behind.
        Assert.Equal(["example.com"], Directory.GetFileSystemEntries(Path.Combine(_dir.State, "live")).Select(Path.GetFileName));
        Assert.Equal(["0001"], Directory.GetFileSystemEntries(Path.Combine(_dir.State, "archive", "example.com")).Select(Path.GetFileName));

        Assert.Equal(1, stored.Version);
        Assert.True(stored.IsCurrent);
        Assert.Equal(Path.Combine(live, "fullchain.pem"), stored.LiveFiles.FullChain);
        Assert.Equal(Path.Combine(version, "privkey.pem"), stored.VersionFiles.PrivateKey);
    }

    [Fact]
    public async Task Current_version_reports_the_facts_of_the_certificate()
    {
        CertificateStore store = Store();
        await store.SaveAsync("site", Certs.Bundle(dns: ["a.example"]), TestContext.Current.CancellationToken);
        CertificateBundle second = Certs.Bundle(dns: ["example.org", "*.example.org"]);
        await store.SaveAsync("site", second, TestContext.Current.CancellationToken);

        StoredCertificate? current = await store.GetCurrentAsync("site", TestContext.Current.CancellationToken);

        using X509Certificate2 expected = X509Certificate2.CreateFromPem(second.CertificatePem);
        Assert.NotNull(current);
        Assert.Equal(2, current.Version);
        Assert.Equal(expected.SerialNumber, current.SerialNumber);
        Assert.Equal(["example.org", "*.example.org"], current.DnsNames);
        Assert.Equal("ec-p256", current.KeyType);
        Assert.Equal(expected.NotAfter.ToUniversalTime(), current.NotAfter.UtcDateTime);
        Assert.Equal(expected.NotBefore.ToUniversalTime(), current.NotBefore.UtcDateTime);
        Assert.Equal("CN=certfleet test CA", current.Issuer);
        Assert.Equal(expected.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256), current.Sha256Fingerprint);
        Assert.Equal(2, await store.GetCurrentVersionAsync("site", TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("ec-p256")]
    [InlineData("ec-p384")]
    [InlineData("rsa-2048")]
    public async Task Key_type_is_read_from_the_certificate(string keyType)
    {
        StoredCertificate stored = await Store().SaveAsync("k", Certs.Bundle(keyType), TestContext.Current.CancellationToken);
        Assert.Equal(keyType, stored.KeyType);
        Assert.Equal(keyType, stored.Metadata.KeyType);
    }

    [Fact]
    public async Task Metadata_round_trips_with_facts_taken_from_the_certificate()
    {
        using JsonDocument extra = JsonDocument.Parse("""{"profile":"tlsserver"}""");
        var metadata = new CertificateMetadata
        {
            Domains = ["example.com", "*.example.com"],
            SerialNumber = "WRONG",
            KeyType = "WRONG",
            OrderUrl = "https://acme.test/order/1",
            AccountUrl = "https://acme.test/acct/7",
            DirectoryUrl = "https://acme.test/directory",
            AriCertId = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE",
            Extensions = new() { ["future"] = extra.RootElement.Clone() },
        };
        CertificateBundle bundle = Certs.Bundle(metadata: metadata);
        await Store().SaveAsync("example.com", bundle, TestContext.Current.CancellationToken);

        // A new instance reads what is on disk, not what the first one remembered.
        StoredCertificate? read = await new CertificateStore(_dir.State).GetCurrentAsync("example.com", TestContext.Current.CancellationToken);

        using X509Certificate2 cert = X509Certificate2.CreateFromPem(bundle.CertificatePem);
        Assert.NotNull(read);
        CertificateMetadata m = read.Metadata;
        Assert.Equal("example.com", m.Name);
        Assert.Equal(["example.com", "*.example.com"], m.Domains);
        Assert.Equal(cert.SerialNumber, m.SerialNumber);
        Assert.Equal("ec-p256", m.KeyType);
        Assert.Equal(cert.Issuer, m.Issuer);
        Assert.Equal(cert.NotAfter.ToUniversalTime(), m.NotAfter.UtcDateTime);
        Assert.Equal("https://acme.test/order/1", m.OrderUrl);
        Assert.Equal("https://acme.test/acct/7", m.AccountUrl);
        Assert.Equal("https://acme.test/directory", m.DirectoryUrl);
        Assert.Equal("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", m.AriCertId);
        Assert.Equal(_time.GetUtcNow(), m.CreatedAt);
        Assert.NotNull(m.Extensions);
        Assert.Equal("tlsserver", m.Extensions["future"].GetProperty("profile").GetString());
    }

    [Fact]
    public async Task A_key_that_does_not_belong_to_the_certificate_is_refused_and_nothing_is_written()
    {
        CertificateBundle a = Certs.Bundle();
        CertificateBundle b = Certs.Bundle();
        var ex = await Assert.ThrowsAsync<StoreException>(() => Store().SaveAsync("x", a with { PrivateKeyPem = b.PrivateKeyPem }, TestContext.Current.CancellationToken));

        Assert.StartsWith("store: ", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(b.PrivateKeyPem.Split('\n')[1], ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir.State));
    }

    [Fact]
    public async Task A_full_chain_not_starting_with_the_leaf_is_refused()
    {
        CertificateBundle a = Certs.Bundle();
        var ex = await Assert.ThrowsAsync<StoreException>(() => Store().SaveAsync("x", a with { FullChainPem = a.ChainPem + a.CertificatePem }, TestContext.Current.CancellationToken));
        Assert.StartsWith("store: ", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir.State));
    }

    [Fact]
    public void Bundle_and_account_never_print_their_private_key()
    {
        CertificateBundle bundle = Certs.Bundle();
        var account = new StoredAccount("https://acme.test/dir", "https://acme.test/acct/1", ["mailto:a@example.com"], bundle.PrivateKeyPem);
        string keyLine = bundle.PrivateKeyPem.Split('\n')[1];

        Assert.DoesNotContain(keyLine, bundle.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(keyLine, account.ToString(), StringComparison.Ordinal);
        Assert.Contains("redacted", bundle.ToString(), StringComparison.Ordinal);
        Assert.Contains("https://acme.test/acct/1", account.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prune_keeps_the_newest_versions_and_always_the_current_one()
    {
        CertificateStore store = Store();
        for (int i = 0; i < 5; i++)
        {
            await store.SaveAsync("p", Certs.Bundle(), TestContext.Current.CancellationToken);
        }

        Assert.Equal([1, 2, 3, 4, 5], await store.ListVersionsAsync("p", TestContext.Current.CancellationToken));
        Assert.Equal([1, 2], await store.PruneAsync("p", 3, TestContext.Current.CancellationToken));
        Assert.Equal([3, 4, 5], await store.ListVersionsAsync("p", TestContext.Current.CancellationToken));

        // Roll back to 3, then keep only one: 5 is the newest, 3 is current.
        await store.ActivateAsync("p", 3, TestContext.Current.CancellationToken);
        Assert.Equal([4], await store.PruneAsync("p", 1, TestContext.Current.CancellationToken));
        Assert.Equal([3, 5], await store.ListVersionsAsync("p", TestContext.Current.CancellationToken));
        Assert.Equal(3, (await store.GetCurrentAsync("p", TestContext.Current.CancellationToken))?.Version);
        Assert.Equal(["0003", "0005"], Directory.GetFileSystemEntries(Path.Combine(_dir.State, "archive", "p")).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // The next version numbers after the highest, not after the current one.
        Assert.Equal(6, (await store.SaveAsync("p", Certs.Bundle(), TestContext.Current.CancellationToken)).Version);
    }

    [Fact]
    public async Task Lineages_are_listed_by_their_live_links()
    {
        CertificateStore store = Store();
        Assert.Empty(await store.ListLineagesAsync(TestContext.Current.CancellationToken));
        await store.SaveAsync("b.example", Certs.Bundle(), TestContext.Current.CancellationToken);
        await store.SaveAsync("a.example", Certs.Bundle(), TestContext.Current.CancellationToken);
        Assert.Equal(["a.example", "b.example"], await store.ListLineagesAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Read_bundle_of_a_stored_certificate_stays_on_its_version_after_a_switch()
    {
        CertificateStore store = Store();
        CertificateBundle first = Certs.Bundle();
        StoredCertificate v1 = await store.SaveAsync("n", first, TestContext.Current.CancellationToken);
        CertificateBundle second = Certs.Bundle();
        await store.SaveAsync("n", second, TestContext.Current.CancellationToken);

        Assert.Equal(first.PrivateKeyPem, (await store.ReadBundleAsync(v1, TestContext.Current.CancellationToken)).PrivateKeyPem);
        CertificateBundle? current = await store.ReadCurrentBundleAsync("n", TestContext.Current.CancellationToken);
        Assert.NotNull(current);
        Assert.Equal(second.FullChainPem, current.FullChainPem);
        Assert.Equal(second.PrivateKeyPem, current.PrivateKeyPem);
        Assert.False((await store.GetVersionAsync("n", 1, TestContext.Current.CancellationToken))!.IsCurrent);
    }

    [Fact]
    public async Task Renewal_state_round_trips_with_unknown_fields_and_mode_0600()
    {
        CertificateStore store = Store();
        Assert.Null(await store.ReadStateAsync("r", TestContext.Current.CancellationToken));
        using JsonDocument extra = JsonDocument.Parse("42");
        var state = new LineageState
        {
            Name = "r",
            LastAttemptAt = _time.GetUtcNow(),
            FailureCount = 3,
            BackoffUntil = _time.GetUtcNow().AddHours(4),
            LastError = "dns: timeout",
            Extensions = new() { ["ariWindowStart"] = extra.RootElement.Clone() },
        };
        await store.WriteStateAsync(state, TestContext.Current.CancellationToken);
        await store.WriteStateAsync(state with { FailureCount = 4 }, TestContext.Current.CancellationToken);

        LineageState? read = await new CertificateStore(_dir.State).ReadStateAsync("r", TestContext.Current.CancellationToken);
        Assert.NotNull(read);
        Assert.Equal(4, read.FailureCount);
        Assert.Equal(state.BackoffUntil, read.BackoffUntil);
        Assert.Equal(state.LastAttemptAt, read.LastAttemptAt);
        Assert.Equal("dns: timeout", read.LastError);
        Assert.Null(read.LastSuccessAt);
        Assert.Equal(42, read.Extensions!["ariWindowStart"].GetInt32());
        string path = Path.Combine(_dir.State, "renewal", "r.json");
        Assert.Equal(Certs.File0600, Certs.Mode(path));
        Assert.Equal(["r.json"], Directory.GetFileSystemEntries(Path.Combine(_dir.State, "renewal")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Read_only_operations_create_nothing()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        var store = new CertificateStore(_dir.State, _time);
        var accounts = new AccountStore(_dir.State, _time);
        var journal = new PendingRecordJournal(_dir.State, _time);

        Assert.Null(await store.GetCurrentAsync("a", ct));
        Assert.Null(await store.GetCurrentVersionAsync("a", ct));
        Assert.Null(await store.GetVersionAsync("a", 1, ct));
        Assert.Null(await store.ReadCurrentBundleAsync("a", ct));
        Assert.Empty(await store.ListLineagesAsync(ct));
        Assert.Empty(await store.ListVersionsAsync("a", ct));
        Assert.Empty(await store.PruneAsync("a", 1, ct));
        Assert.Null(await store.ReadStateAsync("a", ct));
        _ = store.GetLivePaths("a");
        Assert.Null(await accounts.LoadAsync("https://acme.test/directory", ct));
        _ = accounts.GetAccountDirectory("https://acme.test/directory");
        Assert.Empty(await journal.ListAsync(ct));
        Assert.False(await journal.RemoveAsync("id", ct));
        Assert.False(Directory.Exists(_dir.State));

        // An existing, empty state directory stays empty.
        Directory.CreateDirectory(_dir.State);
        Assert.Null(await store.GetCurrentAsync("a", ct));
        Assert.Empty(await store.ListLineagesAsync(ct));
        Assert.Null(await accounts.LoadAsync("https://acme.test/directory", ct));
        Assert.Empty(await journal.ListAsync(ct));
        Assert.Empty(Certs.Tree(_dir.State));
    }

    [Fact]
    public async Task A_real_directory_at_live_name_is_reported_not_replaced()
    {
        string certbotLineage = Path.Combine(_dir.State, "live", "old");
        Directory.CreateDirectory(certbotLineage);
        await File.WriteAllTextAsync(Path.Combine(certbotLineage, "README"), "certbot", TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<StoreException>(() => Store().SaveAsync("old", Certs.Bundle(), TestContext.Current.CancellationToken));
        Assert.StartsWith("store: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("move it away", ex.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(certbotLineage, "README")));
        Assert.Equal(["old"], Directory.GetFileSystemEntries(Path.Combine(_dir.State, "live")).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("*.example.com")]
    public void Unsafe_names_are_refused(string name)
    {
        Assert.False(CertificateStore.IsValidName(name));
        Assert.Throws<ArgumentException>(() => Store().GetLivePaths(name));
    }

    [Fact]
    public async Task Readers_never_see_a_torn_file_or_a_certificate_with_another_versions_key()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        CertificateBundle[] bundles = [.. Enumerable.Range(0, 4).Select(_ => Certs.Bundle())];
        var fullChains = bundles.Select(b => b.FullChainPem).ToHashSet();
        var keys = bundles.Select(b => b.PrivateKeyPem).ToHashSet();
        CertificateStore store = Store();
        await store.SaveAsync("race", bundles[0], ct);

        string live = Path.Combine(_dir.State, "live", "race");
        using var done = new CancellationTokenSource();
        int checks = 0;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();

        // Through the store: one resolution of live/NAME per read.
        Task viaStore = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                CertificateBundle? read = await store.ReadCurrentBundleAsync("race", ct);
                if (read is null || !Certs.KeyMatches(read.CertificatePem, read.PrivateKeyPem))
                {
                    failures.Add("store read mismatched");
                }

                Interlocked.Increment(ref checks);
            }
        }, ct);

        // Like a web server reload: resolve the link once, read both files from the resolved directory.
        Task viaResolvedLink = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                try
                {
                    string? target = new FileInfo(live).LinkTarget;
                    string directory = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(live)!, target!));
                    string cert = File.ReadAllText(Path.Combine(directory, "cert.pem"));
                    string key = File.ReadAllText(Path.Combine(directory, "privkey.pem"));
                    if (!Certs.KeyMatches(cert, key))
                    {
                        failures.Add("resolved read mismatched");
                    }

                    Interlocked.Increment(ref checks);
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    // That version was pruned after we resolved it: a reader retries.
                }
            }
        }, ct);

        // Plain paths through the link: each file whole, exactly one of the written versions.
        Task viaPaths = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                try
                {
                    if (!fullChains.Contains(File.ReadAllText(Path.Combine(live, "fullchain.pem"))))
                    {
                        failures.Add("torn fullchain.pem");
                    }

                    if (!keys.Contains(File.ReadAllText(Path.Combine(live, "privkey.pem"))))
                    {
                        failures.Add("torn privkey.pem");
                    }

                    Interlocked.Increment(ref checks);
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    // Only if this reader stalled inside open(2) across three switches and a prune.
                }
            }
        }, ct);

        for (int i = 1; i <= 60; i++)
        {
            await store.SaveAsync("race", bundles[i % bundles.Length], ct);
            await store.PruneAsync("race", 3, ct);
        }

        await done.CancelAsync();
        await Task.WhenAll(viaStore, viaResolvedLink, viaPaths);

        Assert.Empty(failures);
        Assert.True(checks > 60, $"only {checks} reads happened");
        Assert.Equal([59, 60, 61], await store.ListVersionsAsync("race", ct));
    }
}
