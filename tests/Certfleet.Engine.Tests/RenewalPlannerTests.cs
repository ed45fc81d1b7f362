using System.Text;
using Certfleet.Acme;
using Certfleet.Configuration;
using Certfleet.Engine.Renewal;
using Certfleet.Store;
using Microsoft.Extensions.Time.Testing;

namespace Certfleet.Engine.Tests;

public sealed class RenewalPlannerTests
{
    private static readonly DateTimeOffset Issued = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly CertificateSettings Config = new("example", ["example.com", "*.example.com"], "lab", "ec-p256", false, null, new SourceLocation("certfleet.yaml", 1, 1));

    internal static StoredCertificate Certificate(DateTimeOffset notBefore, TimeSpan lifetime, string certId = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", string[]? names = null, string keyType = "ec-p256")
    {
        var files = new CertificateFiles("/x", "/x/cert.pem", "/x/chain.pem", "/x/fullchain.pem", "/x/privkey.pem");
        return new StoredCertificate("example", 1, true, files, files, "0A", notBefore, notBefore + lifetime,
            names ?? ["example.com", "*.example.com"], keyType, "CN=Test CA", "CN=example.com", "00",
            new CertificateMetadata { Name = "example", AriCertId = certId, NotBefore = notBefore, NotAfter = notBefore + lifetime });
    }

    /// <summary>Moves the clock an hour at a time and renews (re-issues) whenever the planner says so.</summary>
    private static List<DateTimeOffset> Simulate(TimeSpan lifetime, TimeSpan duration, Func<StoredCertificate, DateTimeOffset, AriWindow?>? ari = null)
    {
        var time = new FakeTimeProvider(Issued);
        var current = Certificate(Issued, lifetime, "id-0");
        var renewals = new List<DateTimeOffset>();
        while (time.GetUtcNow() < Issued + duration)
        {
            var now = time.GetUtcNow();
            var decision = RenewalPlanner.Decide(Config, current, null, ari?.Invoke(current, now), now);
            if (decision.Due)
            {
                renewals.Add(now);
                current = Certificate(now, lifetime, "id-" + renewals.Count);
                // A second check right after the renewal finds nothing to do.
                Assert.False(RenewalPlanner.Decide(Config, current, null, ari?.Invoke(current, now), now).Due);
            }

            time.Advance(TimeSpan.FromHours(1));
        }

        return renewals;
    }

    [Theory]
    [InlineData(90, 60)]
    [InlineData(45, 30)]
    [InlineData(6, 3)]
    public void Without_ari_renews_when_a_third_or_half_of_the_lifetime_is_left(int lifetimeDays, int renewAfterDays)
    {
        var renewals = Simulate(TimeSpan.FromDays(lifetimeDays), TimeSpan.FromDays(renewAfterDays * 3) + TimeSpan.FromHours(1));
        Assert.Equal(3, renewals.Count);
        Assert.Equal(Issued + TimeSpan.FromDays(renewAfterDays), renewals[0]);
        Assert.Equal(TimeSpan.FromDays(renewAfterDays), renewals[1] - renewals[0]);
        Assert.Equal(TimeSpan.FromDays(renewAfterDays), renewals[2] - renewals[1]);
    }

    [Theory]
    [InlineData(90)]
    [InlineData(45)]
    [InlineData(6)]
    public void With_ari_renews_inside_the_window_once_per_certificate(int lifetimeDays)
    {
        var lifetime = TimeSpan.FromDays(lifetimeDays);
        // The CA suggests the window between 50 % and 60 % of the lifetime, as a recorded response would say.
        AriWindow Window(StoredCertificate c, DateTimeOffset now) =>
            new(c.Metadata.AriCertId!, c.NotBefore + lifetime * 0.5, c.NotBefore + lifetime * 0.6, now, now + TimeSpan.FromHours(6));
        var renewals = Simulate(lifetime, lifetime * 2, Window);
        Assert.Equal(3, renewals.Count);
        var start = Issued;
        foreach (var r in renewals)
        {
            Assert.InRange(r, start + lifetime * 0.5, start + lifetime * 0.6 + TimeSpan.FromHours(1));
            start = r;
        }
    }

    [Fact]
    public void Ari_from_a_recorded_response_picks_one_stable_time_in_the_window()
    {
        var body = """{"suggestedWindow":{"start":"2025-04-10T00:00:00Z","end":"2025-04-12T00:00:00Z"},"explanationURL":"https://ca.example/ari"}""";
        var json = System.Text.Json.JsonDocument.Parse(Encoding.UTF8.GetBytes(body)).RootElement.GetProperty("suggestedWindow");
        var info = new RenewalInfo(json.GetProperty("start").GetDateTimeOffset(), json.GetProperty("end").GetDateTimeOffset(), new Uri("https://ca.example/ari"), Issued + TimeSpan.FromSeconds(5));
        var window = AriWindow.From(new AriCertId("id-0"), info, Issued);
        // Retry-After of 5 s is clamped to one minute.
        Assert.Equal(Issued + TimeSpan.FromMinutes(1), window.NextFetch);
        var picked = window.PickedTime;
        Assert.InRange(picked, info.SuggestedWindowStart, info.SuggestedWindowEnd);
        Assert.Equal(picked, (window with { FetchedAt = Issued + TimeSpan.FromDays(3) }).PickedTime);
        Assert.NotEqual(picked, (window with { CertId = "id-1" }).PickedTime);

        var current = Certificate(Issued, TimeSpan.FromDays(90), "id-0");
        Assert.False(RenewalPlanner.Decide(Config, current, null, window, picked - TimeSpan.FromMinutes(1)).Due);
        var due = RenewalPlanner.Decide(Config, current, null, window, picked);
        Assert.True(due.Due);
        Assert.Equal(RenewalTrigger.RenewalInfo, due.Trigger);
        Assert.Equal("id-0", due.Replaces?.Value);
    }

    [Fact]
    public void A_long_retry_after_is_clamped_to_a_day()
    {
        var info = new RenewalInfo(Issued, Issued + TimeSpan.FromDays(1), null, Issued + TimeSpan.FromDays(30));
        Assert.Equal(Issued + TimeSpan.FromDays(1), AriWindow.From(new AriCertId("x"), info, Issued).NextFetch);
        Assert.Equal(Issued + TimeSpan.FromHours(6), AriWindow.From(new AriCertId("x"), info with { RetryAfter = null }, Issued).NextFetch);
    }

    [Theory]
    [InlineData(-1, 10)]   // starts before notBefore
    [InlineData(40, 40)]   // empty window
    [InlineData(50, 40)]   // inverted window
    public void An_invalid_window_is_ignored_and_the_lifetime_policy_applies(int startDays, int endDays)
    {
        var current = Certificate(Issued, TimeSpan.FromDays(90), "id-0");
        var window = new AriWindow("id-0", Issued + TimeSpan.FromDays(startDays), Issued + TimeSpan.FromDays(endDays), Issued, Issued + TimeSpan.FromHours(6));
        var early = RenewalPlanner.Decide(Config, current, null, window, Issued + TimeSpan.FromDays(41));
        Assert.False(early.Due);
        Assert.Contains("invalid", early.Reason, StringComparison.Ordinal);
        var late = RenewalPlanner.Decide(Config, current, null, window, Issued + TimeSpan.FromDays(60));
        Assert.True(late.Due);
        Assert.Equal(RenewalTrigger.Lifetime, late.Trigger);
    }

    [Fact]
    public void A_window_for_another_certificate_is_not_used()
    {
        var current = Certificate(Issued, TimeSpan.FromDays(90), "id-new");
        var stale = new AriWindow("id-old", Issued + TimeSpan.FromDays(1), Issued + TimeSpan.FromDays(2), Issued, Issued + TimeSpan.FromHours(6));
        Assert.False(RenewalPlanner.Decide(Config, current, null, stale, Issued + TimeSpan.FromDays(3)).Due);
    }

    [Fact]
    public void Missing_changed_names_changed_key_and_expired_certificates_are_due()
    {
        var now = Issued + TimeSpan.FromDays(1);
        Assert.Equal(RenewalTrigger.Missing, RenewalPlanner.Decide(Config, null, null, null, now).Trigger);
        var names = RenewalPlanner.Decide(Config, Certificate(Issued, TimeSpan.FromDays(90), names: ["example.com"]), null, null, now);
        Assert.Equal(RenewalTrigger.ConfigurationChanged, names.Trigger);
        Assert.Contains("added *.example.com", names.Reason, StringComparison.Ordinal);
        var key = RenewalPlanner.Decide(Config, Certificate(Issued, TimeSpan.FromDays(90), keyType: "rsa-2048"), null, null, now);
        Assert.Equal(RenewalTrigger.ConfigurationChanged, key.Trigger);
        Assert.Contains("rsa-2048", key.Reason, StringComparison.Ordinal);
        var expired = RenewalPlanner.Decide(Config, Certificate(Issued - TimeSpan.FromDays(100), TimeSpan.FromDays(90)), null, null, now);
        Assert.Equal(RenewalTrigger.Expired, expired.Trigger);
        Assert.True(expired.Due);
    }

    [Fact]
    public void Back_off_holds_a_due_certificate_until_it_ends_and_force_overrides_it()
    {
        var current = Certificate(Issued, TimeSpan.FromDays(90));
        var now = Issued + TimeSpan.FromDays(61);
        var state = new LineageState { Name = "example", FailureCount = 2, BackoffUntil = now + TimeSpan.FromHours(2) };
        var held = RenewalPlanner.Decide(Config, current, state, null, now);
        Assert.False(held.Due);
        Assert.True(held.BackedOff);
        Assert.Equal(state.BackoffUntil, held.RenewAt);
        Assert.True(RenewalPlanner.Decide(Config, current, state, null, now + TimeSpan.FromHours(2)).Due);
        Assert.Equal(RenewalTrigger.Forced, RenewalPlanner.Decide(Config, current, state, null, now, force: true).Trigger);
    }

    [Fact]
    public void Back_off_doubles_up_to_the_maximum()
    {
        var settings = RenewalSettings.Default with { Backoff = TimeSpan.FromHours(1), BackoffMax = TimeSpan.FromHours(5) };
        Assert.Equal([TimeSpan.Zero, TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4), TimeSpan.FromHours(5), TimeSpan.FromHours(5)],
            Enumerable.Range(0, 6).Select(settings.BackoffAfter));
    }

    [Fact]
    public void Six_day_certificates_with_checks_every_36_hours_are_flagged()
    {
        Assert.True(RenewalPlanner.ChecksTooRare(Issued, Issued + TimeSpan.FromDays(6), TimeSpan.FromHours(36)));
        Assert.False(RenewalPlanner.ChecksTooRare(Issued, Issued + TimeSpan.FromDays(6), TimeSpan.FromHours(12)));
        Assert.False(RenewalPlanner.ChecksTooRare(Issued, Issued + TimeSpan.FromDays(90), TimeSpan.FromDays(1)));
    }
}
