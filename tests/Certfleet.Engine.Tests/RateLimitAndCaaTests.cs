using Certfleet.Engine.Renewal;
using Certfleet.Store;

namespace Certfleet.Engine.Tests;

public sealed class RateLimitGuardTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2025, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("certfleet-rl-").FullName;
    private readonly HistoryStore _history;

    public RateLimitGuardTests() => _history = new HistoryStore(_dir, TimeSpan.FromDays(30), new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task Add(HistoryKind kind, TimeSpan ago, string[] names, string? account = null) =>
        _history.AddAsync(new HistoryEntry(Now - ago, "c", kind, "ok") { Names = names, Account = account }, Ct);

    [Fact]
    public async Task Five_certificates_for_the_same_names_refuse_a_sixth_until_the_oldest_leaves_the_window()
    {
        for (var i = 0; i < 5; i++)
        {
            await Add(HistoryKind.Issued, TimeSpan.FromDays(6 - i), ["example.com", "*.example.com"]);
        }

        var guard = new RateLimitGuard(RateLimitSettings.LetsEncrypt, _history);
        var verdict = await guard.CheckAsync(["*.example.com", "example.com"], "acct", ariRenewal: false, Now, Ct);
        Assert.False(verdict.Allowed);
        Assert.Equal("duplicate certificates", verdict.Limit);
        Assert.Equal(Now - TimeSpan.FromDays(6) + TimeSpan.FromDays(7), verdict.RetryAt);
        Assert.Contains("possible again at 2025-05-02 12:00 UTC", verdict.Reason, StringComparison.Ordinal);

        // Another set of names under the same domain is still allowed, and ARI renewals are exempt.
        Assert.True((await guard.CheckAsync(["www.example.com"], "acct", false, Now, Ct)).Allowed);
        Assert.True((await guard.CheckAsync(["example.com", "*.example.com"], "acct", true, Now, Ct)).Allowed);
    }

    [Fact]
    public async Task Orders_per_account_and_authorization_failures_per_name_are_counted_in_their_windows()
    {
        var limits = RateLimitSettings.LetsEncrypt with { OrdersPerAccount = new RateLimit(3, TimeSpan.FromHours(3)) };
        for (var i = 0; i < 3; i++)
        {
            await Add(HistoryKind.Order, TimeSpan.FromMinutes(10 + i), ["a.example.org"], "acct-1");
        }

        await Add(HistoryKind.Order, TimeSpan.FromHours(4), ["a.example.org"], "acct-1");
        var guard = new RateLimitGuard(limits, _history);
        var orders = await guard.CheckAsync(["b.example.net"], "acct-1", false, Now, Ct);
        Assert.Equal("new orders per account", orders.Limit);
        Assert.Equal(Now - TimeSpan.FromMinutes(12) + TimeSpan.FromHours(3), orders.RetryAt);
        Assert.True((await guard.CheckAsync(["b.example.net"], "acct-2", false, Now, Ct)).Allowed);

        for (var i = 0; i < 5; i++)
        {
            await Add(HistoryKind.AuthorizationFailed, TimeSpan.FromMinutes(50 - i), ["bad.example.net"]);
        }

        var failures = await guard.CheckAsync(["bad.example.net"], "acct-2", false, Now, Ct);
        Assert.Equal("authorization failures per name", failures.Limit);
        Assert.Equal(Now + TimeSpan.FromMinutes(10), failures.RetryAt);
        Assert.True((await new RateLimitGuard(limits with { Enabled = false }, _history).CheckAsync(["bad.example.net"], "acct-2", false, Now, Ct)).Allowed);
    }

    [Fact]
    public async Task Fifty_certificates_per_registered_domain_count_every_name_below_it()
    {
        for (var i = 0; i < 50; i++)
        {
            await Add(HistoryKind.Issued, TimeSpan.FromHours(i + 1), [$"h{i}.shop.example.com"]);
        }

        var verdict = await new RateLimitGuard(RateLimitSettings.LetsEncrypt, _history).CheckAsync(["new.example.com"], null, false, Now, Ct);
        Assert.Equal("certificates per registered domain", verdict.Limit);
        Assert.Equal(Now - TimeSpan.FromHours(50) + TimeSpan.FromDays(7), verdict.RetryAt);
        Assert.Equal("example.com", RateLimitGuard.RegisteredDomain("*.a.b.example.com"));
    }
}

public sealed class CaaTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class FakeResolver(Dictionary<string, CaaLookup> zone) : ICaaResolver
    {
        public List<string> Asked { get; } = [];

        public Task<CaaLookup> LookupAsync(string name, CancellationToken cancellationToken)
        {
            Asked.Add(name);
            return Task.FromResult(zone.TryGetValue(name, out var l) ? l : new CaaLookup([]));
        }
    }

    private static CaaLookup Records(params (string Tag, string Value)[] records) => new(records.Select(r => new CaaRecord(0, r.Tag, r.Value)).ToList());

    private static readonly string[] Le = ["letsencrypt.org"];

    [Fact]
    public async Task Climbs_to_the_parent_and_stops_at_the_first_rrset()
    {
        var resolver = new FakeResolver(new() { ["example.com"] = Records(("issue", "sectigo.com")), ["com"] = Records(("issue", "letsencrypt.org")) });
        var verdicts = await new CaaPreflight(resolver).CheckAsync(["a.b.example.com"], Le, null, Ct);
        Assert.Equal(["a.b.example.com", "b.example.com", "example.com"], resolver.Asked);
        Assert.False(verdicts[0].Allowed);
        Assert.Equal("example.com", verdicts[0].FoundAt);
        Assert.Contains("add issue \"letsencrypt.org\"", verdicts[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_records_anywhere_allow_any_ca()
    {
        var resolver = new FakeResolver([]);
        var v = await new CaaPreflight(resolver).CheckAsync(["www.example.com"], Le, null, Ct);
        Assert.True(v[0].Allowed);
        Assert.Equal(["www.example.com", "example.com", "com"], resolver.Asked);
    }

    [Fact]
    public void Issuewild_governs_wildcards_and_issue_the_rest()
    {
        var records = new[] { new CaaRecord(0, "issue", "letsencrypt.org"), new CaaRecord(0, "issuewild", ";") };
        Assert.True(CaaPreflight.Evaluate("example.com", "example.com", records, wildcard: false, Le, null).Allowed);
        var wild = CaaPreflight.Evaluate("*.example.com", "example.com", records, wildcard: true, Le, null);
        Assert.False(wild.Allowed);
        Assert.Contains("issuewild", wild.Reason, StringComparison.Ordinal);
        // Without issuewild, issue applies to wildcards too.
        Assert.True(CaaPreflight.Evaluate("*.example.com", "example.com", [records[0]], wildcard: true, Le, null).Allowed);
    }

    [Theory]
    [InlineData("letsencrypt.org; validationmethods=http-01", false, "dns-01")]
    [InlineData("letsencrypt.org; validationmethods=http-01,dns-01", true, "authorizes")]
    [InlineData("letsencrypt.org; accounturi=https://acme.example/acct/1", true, "authorizes")]
    [InlineData("letsencrypt.org; accounturi=https://acme.example/acct/2", false, "another account")]
    [InlineData("LetsEncrypt.org.", true, "authorizes")]
    [InlineData("pki.goog", false, "not letsencrypt.org")]
    public void Rfc8657_parameters_restrict_method_and_account(string value, bool allowed, string reason)
    {
        var v = CaaPreflight.Evaluate("example.com", "example.com", [new CaaRecord(0, "issue", value)], false, Le, "https://acme.example/acct/1");
        Assert.Equal(allowed, v.Allowed);
        Assert.Contains(reason, v.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_critical_property_forbids_issuance_and_a_known_one_does_not()
    {
        Assert.False(CaaPreflight.Evaluate("example.com", "example.com", [new CaaRecord(128, "tbs", "x"), new CaaRecord(0, "issue", "letsencrypt.org")], false, Le, null).Allowed);
        Assert.True(CaaPreflight.Evaluate("example.com", "example.com", [new CaaRecord(128, "iodef", "mailto:x@example.com"), new CaaRecord(0, "issue", "letsencrypt.org")], false, Le, null).Allowed);
    }

    [Fact]
    public async Task A_failed_lookup_does_not_block()
    {
        var resolver = new FakeResolver(new() { ["example.com"] = new CaaLookup([], "SERVFAIL") });
        var v = await new CaaPreflight(resolver).CheckAsync(["example.com"], Le, null, Ct);
        Assert.True(v[0].Allowed);
        Assert.Contains("could not check", v[0].Reason, StringComparison.Ordinal);
    }
}
