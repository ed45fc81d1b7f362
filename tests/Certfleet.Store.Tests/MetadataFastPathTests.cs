using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Certfleet.Store.Tests;

/// <summary>Readers take a version's facts from meta.json while its fingerprint matches cert.pem, and from the certificate otherwise.</summary>
public sealed class MetadataFastPathTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ListLogger _log = new();

    public void Dispose() => _dir.Dispose();

    private CertificateStore Store() => new(_dir.State, _time, _log);

    private string MetaPath(string name, int version = 1) => Path.Combine(_dir.State, "archive", name, version.ToString("D4", System.Globalization.CultureInfo.InvariantCulture), "meta.json");

    private async Task EditMetaAsync(string name, Action<JsonObject> edit)
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        var json = JsonNode.Parse(await File.ReadAllTextAsync(MetaPath(name), ct))!.AsObject();
        edit(json);
        await File.WriteAllTextAsync(MetaPath(name), json.ToJsonString(), ct);
    }

    [Fact]
    public async Task Save_records_every_fact_a_reader_needs_with_the_certificates_fingerprint()
    {
        CertificateBundle bundle = Certs.Bundle(dns: ["example.org", "*.example.org"]);
        await Store().SaveAsync("site", bundle, TestContext.Current.CancellationToken);

        var meta = JsonNode.Parse(await File.ReadAllTextAsync(MetaPath("site"), TestContext.Current.CancellationToken))!.AsObject();
        using X509Certificate2 cert = X509Certificate2.CreateFromPem(bundle.CertificatePem);
        Assert.Equal(cert.GetCertHashString(HashAlgorithmName.SHA256), (string?)meta["sha256Fingerprint"]);
        Assert.Equal(cert.Subject, (string?)meta["subject"]);
        Assert.Equal(["example.org", "*.example.org"], meta["dnsNames"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(cert.SerialNumber, (string?)meta["serialNumber"]);
    }

    [Fact]
    public async Task Facts_come_from_the_metadata_while_its_fingerprint_matches_the_certificate()
    {
        await Store().SaveAsync("site", Certs.Bundle(), TestContext.Current.CancellationToken);
        // A change the certificate cannot show: only a reader that trusts meta.json sees it.
        await EditMetaAsync("site", m => m["subject"] = "CN=from-metadata");

        StoredCertificate? read = await Store().GetCurrentAsync("site", TestContext.Current.CancellationToken);

        Assert.NotNull(read);
        Assert.Equal("CN=from-metadata", read.Subject);
        Assert.Empty(_log.Warnings);
    }

    [Fact]
    public async Task Metadata_without_the_recorded_facts_falls_back_to_the_certificate()
    {
        CertificateBundle bundle = Certs.Bundle(keyType: "rsa-2048", dns: ["old.example", "*.old.example"]);
        await Store().SaveAsync("old", bundle, TestContext.Current.CancellationToken);
        // meta.json as written before the store recorded subject, SAN names and fingerprint.
        await EditMetaAsync("old", m =>
        {
            m.Remove("subject");
            m.Remove("dnsNames");
            m.Remove("sha256Fingerprint");
        });

        StoredCertificate? read = await Store().GetCurrentAsync("old", TestContext.Current.CancellationToken);

        using X509Certificate2 cert = X509Certificate2.CreateFromPem(bundle.CertificatePem);
        Assert.NotNull(read);
        Assert.Equal(cert.GetCertHashString(HashAlgorithmName.SHA256), read.Sha256Fingerprint);
        Assert.Equal(cert.Subject, read.Subject);
        Assert.Equal(["old.example", "*.old.example"], read.DnsNames);
        Assert.Equal("rsa-2048", read.KeyType);
        Assert.Equal(cert.SerialNumber, read.SerialNumber);
        // The old metadata agrees with the certificate as far as it goes: nothing to report, nothing invented.
        Assert.Empty(_log.Warnings);
        Assert.Null(read.Metadata.Sha256Fingerprint);
    }

    [Fact]
    public async Task Metadata_of_another_certificate_loses_to_the_certificate_and_is_reported()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        CertificateStore store = Store();
        CertificateBundle mine = Certs.Bundle(dns: ["mine.example"]);
        await store.SaveAsync("mine", mine, ct);
        await store.SaveAsync("other", Certs.Bundle(keyType: "ec-p384", dns: ["other.example"]), ct);
        // meta.json copied from another lineage (a restore gone wrong): every fact in it is wrong for cert.pem.
        File.Copy(MetaPath("other"), MetaPath("mine"), overwrite: true);

        StoredCertificate? read = await Store().GetCurrentAsync("mine", ct);

        using X509Certificate2 cert = X509Certificate2.CreateFromPem(mine.CertificatePem);
        Assert.NotNull(read);
        Assert.Equal(cert.SerialNumber, read.SerialNumber);
        Assert.Equal(["mine.example"], read.DnsNames);
        Assert.Equal("ec-p256", read.KeyType);
        Assert.Equal(cert.GetCertHashString(HashAlgorithmName.SHA256), read.Sha256Fingerprint);
        // The metadata handed out carries the certificate's facts too, so no caller acts on the wrong ones.
        Assert.Equal(cert.SerialNumber, read.Metadata.SerialNumber);
        Assert.Equal("ec-p256", read.Metadata.KeyType);
        string warning = Assert.Single(_log.Warnings);
        Assert.Contains(MetaPath("mine"), warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_certificate_file_is_caught_by_the_fingerprint()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        await Store().SaveAsync("site", Certs.Bundle(), ct);
        CertificateBundle replacement = Certs.Bundle(dns: ["replaced.example"]);
        await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(MetaPath("site"))!, "cert.pem"), replacement.CertificatePem, ct);

        StoredCertificate? read = await Store().GetCurrentAsync("site", ct);

        Assert.NotNull(read);
        Assert.Equal(["replaced.example"], read.DnsNames);
        Assert.Single(_log.Warnings);
    }

    [Fact]
    public void Pem_fingerprint_is_that_of_the_first_certificate_the_parser_would_take()
    {
        CertificateBundle bundle = Certs.Bundle();
        using X509Certificate2 leaf = X509Certificate2.CreateFromPem(bundle.CertificatePem);
        string expected = leaf.GetCertHashString(HashAlgorithmName.SHA256);

        Assert.Equal(expected, CertificateInspector.PemFingerprint(bundle.CertificatePem));
        Assert.Equal(expected, CertificateInspector.PemFingerprint(bundle.FullChainPem));
        // A key block first is skipped, as X509Certificate2.CreateFromPem skips it.
        Assert.Equal(expected, CertificateInspector.PemFingerprint(bundle.PrivateKeyPem + bundle.FullChainPem));
        Assert.Null(CertificateInspector.PemFingerprint(bundle.PrivateKeyPem));
        Assert.Null(CertificateInspector.PemFingerprint("not a certificate"));
    }

    [Fact]
    public async Task Lineages_are_read_in_bulk_in_the_order_asked_with_their_state()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        CertificateStore store = Store();
        string[] names = [.. Enumerable.Range(0, 40).Select(i => $"site{i:D2}")];
        var serials = new Dictionary<string, string>();
        foreach (string name in names.Where((_, i) => i % 5 != 3))
        {
            serials[name] = (await store.SaveAsync(name, Certs.Bundle(dns: [name + ".example"]), ct)).SerialNumber;
        }

        await store.WriteStateAsync(new LineageState { Name = "site07", FailureCount = 2, LastError = "acme: down" }, ct);
        await store.WriteStateAsync(new LineageState { Name = "site08", FailureCount = 1 }, ct);
        string[] asked = [.. names.Reverse(), "never"];

        IReadOnlyList<LineageSnapshot> read = await Store().ReadLineagesAsync(asked, ct);

        Assert.Equal(asked, read.Select(s => s.Name));
        foreach (LineageSnapshot s in read)
        {
            Assert.Equal(serials.GetValueOrDefault(s.Name), s.Current?.SerialNumber);
            if (s.Current is not null)
            {
                Assert.Equal([s.Name + ".example"], s.Current.DnsNames);
            }

            Assert.Equal(s.Name is "site07" ? 2 : s.Name is "site08" ? 1 : null, s.State?.FailureCount);
        }

        // site08 has state but no certificate (its first issuance failed).
        Assert.Null(read.Single(s => s.Name == "site08").Current);
        Assert.Equal("acme: down", read.Single(s => s.Name == "site07").State?.LastError);
    }

    [Fact]
    public async Task Bulk_read_of_a_missing_state_directory_creates_nothing()
    {
        IReadOnlyList<LineageSnapshot> read = await Store().ReadLineagesAsync(["a", "b"], TestContext.Current.CancellationToken);

        Assert.Equal([new LineageSnapshot("a", null, null), new LineageSnapshot("b", null, null)], read);
        Assert.False(Directory.Exists(_dir.State));
    }

    [Fact]
    public async Task Bulk_read_reports_the_first_broken_lineage_in_the_order_asked()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        CertificateStore store = Store();
        foreach (string name in new[] { "a", "b", "c", "d" })
        {
            await store.SaveAsync(name, Certs.Bundle(), ct);
        }

        // b and d: live links into archive versions that are gone.
        Directory.Delete(Path.Combine(_dir.State, "archive", "d", "0001"), recursive: true);
        Directory.Delete(Path.Combine(_dir.State, "archive", "b", "0001"), recursive: true);

        var ex = await Assert.ThrowsAsync<StoreException>(() => store.ReadLineagesAsync(["a", "b", "c", "d"], ct));
        Assert.Contains("live/b ", ex.Message, StringComparison.Ordinal);
        ex = await Assert.ThrowsAsync<StoreException>(() => store.ReadLineagesAsync(["d", "c", "b", "a"], ct));
        Assert.Contains("live/d ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bulk_read_refuses_unsafe_names_before_reading()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store().ReadLineagesAsync(["ok", "../etc"], TestContext.Current.CancellationToken));
    }

    private sealed class ListLogger : ILogger<CertificateStore>
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _warnings = new();

        public IReadOnlyList<string> Warnings => [.. _warnings];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning)
            {
                _warnings.Enqueue(formatter(state, exception));
            }
        }
    }
}
