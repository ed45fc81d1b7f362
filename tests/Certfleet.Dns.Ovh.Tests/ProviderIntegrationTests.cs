using System.Diagnostics;
using Certfleet.OvhSimulator;

namespace Certfleet.Dns.Ovh.Tests;

/// <summary>The provider against the simulator and a real BIND.</summary>
public sealed class ProviderIntegrationTests
{
    private const string Name = "_acme-challenge.example.test";
    private static readonly string[] Values = ["ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8", "ZaJgFtIV4WA0t2MzN7kbSk0sfRd2GZjaxRqaSTAK6lI"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Values_reach_bind_only_after_refresh_and_the_publication_delay()
    {
        await using var lab = await OvhLab.StartAsync(o => o with { PublicationDelay = TimeSpan.FromSeconds(1.5) });
        var provider = new OvhProviderFactory().Type == "ovh"
            ? OvhProviderFactory.Create("lab", lab.Options(), new DnsProviderContext(lab.Logs, TimeProvider.System))
            : throw new InvalidOperationException();

        var handles = new List<DnsRecordHandle>();
        foreach (var value in Values)
        {
            handles.Add(await provider.AddTxtRecordAsync(Name, value, Ct));
        }

        Assert.All(handles, h => Assert.Equal("example.test", h.Zone));
        Assert.Equal(Values.Order(), lab.Sim.GetRecords("example.test").Select(r => r.Target).Order());
        Assert.All(lab.Sim.GetRecords("example.test"), r => Assert.Equal(60, r.Ttl));
        await Task.Delay(300, Ct);
        Assert.Empty(await lab.Bind.TxtAsync(Name)); // created, not refreshed: not public

        var published = Stopwatch.StartNew();
        await provider.PublishAsync(handles, Ct);
        Assert.Empty(await lab.Bind.TxtAsync(Name)); // refreshed, still inside the delay
        var result = await lab.WaitAsync("example.test", Name, Values, TimeSpan.FromSeconds(20));
        published.Stop();
        Assert.True(result.IsComplete, result.Describe());
        Assert.InRange(published.Elapsed, TimeSpan.FromSeconds(1.3), TimeSpan.FromSeconds(10));
        Assert.Equal(Values.Order(), (await lab.Bind.TxtAsync(Name)).Order());

        Assert.Equal(["127.0.0.1:" + lab.Bind.Port], await provider.GetAuthoritativeNameserversAsync("example.test", Ct));

        await provider.RemoveTxtRecordsAsync(handles, Ct);
        Assert.Empty(lab.Sim.GetRecords("example.test"));
        Assert.Equal(Values.Order(), (await lab.Bind.TxtAsync(Name)).Order()); // removal is published by refresh too, after the delay
        await lab.AssertNothingLeftAsync();
        Assert.Contains("query id EU.ext-sim.", lab.Logs.All, StringComparison.Ordinal);
        lab.AssertNoSecretLogged();
    }

    [Fact]
    public async Task Clock_skew_of_300_seconds_and_20_percent_of_500s_are_survived()
    {
        await using var lab = await OvhLab.StartAsync(o => o with { ClockSkew = TimeSpan.FromSeconds(300), FailureRate = 0.2, Seed = 7, PublicationDelay = TimeSpan.FromMilliseconds(300) });
        using var provider = lab.Provider();
        var handles = new List<DnsRecordHandle>();
        foreach (var value in Values)
        {
            handles.Add(await provider.AddTxtRecordAsync(Name, value, Ct));
        }

        await provider.PublishAsync(handles, Ct);
        var result = await lab.WaitAsync("example.test", Name, Values, TimeSpan.FromSeconds(20));
        Assert.True(result.IsComplete, result.Describe());
        await provider.RemoveTxtRecordsAsync(handles, Ct);
        await lab.AssertNothingLeftAsync();

        Assert.True(lab.Sim.Stats.InjectedFailures > 0, "the run met no 500: the test proves nothing");
        // Whole seconds on both sides: the offset may round to a neighbour of 300.
        Assert.Matches(@"clock offset to \S+ is (299|300|301) s", lab.Logs.All);
        Assert.Contains("retry 1 in", lab.Logs.All, StringComparison.Ordinal);
        lab.AssertNoSecretLogged();
    }

    [Fact]
    public async Task A_clock_that_jumps_mid_run_is_resynchronised_once()
    {
        await using var lab = await OvhLab.StartAsync();
        using var provider = lab.Provider();
        var first = await provider.AddTxtRecordAsync(Name, Values[0], Ct);
        lab.Sim.ClockSkew = TimeSpan.FromSeconds(-400);
        var second = await provider.AddTxtRecordAsync(Name, Values[1], Ct);
        Assert.Contains("out of the time window", lab.Logs.All, StringComparison.Ordinal);
        Assert.Matches(@"clock offset to \S+ is -(399|400|401) s", lab.Logs.All);
        await provider.RemoveTxtRecordsAsync([first, second], Ct);
        await lab.AssertNothingLeftAsync();
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "wrong-secret", "ovh: the API rejected the request signature (INVALID_SIGNATURE); check that applicationSecret is the secret of this applicationKey" },
        { "wrong-secret-class-shape", "ovh: the API rejected the request signature (INVALID_SIGNATURE); check that applicationSecret is the secret of this applicationKey" },
        { "pending", "ovh: the consumer key is expired or was never validated (INVALID_CREDENTIAL); run `certfleet ovh credentials`, open the validation URL, then set the new consumerKey" },
        { "expired", "ovh: the consumer key is expired or was never validated (INVALID_CREDENTIAL); run `certfleet ovh credentials`, open the validation URL, then set the new consumerKey" },
        { "unknown-consumer", "ovh: the consumer key is expired or was never validated (INVALID_CREDENTIAL); run `certfleet ovh credentials`, open the validation URL, then set the new consumerKey" },
        { "missing-rule", "ovh: the consumer key has no access rule for POST /domain/zone/example.test/record (NOT_GRANTED_CALL); run `certfleet ovh credentials --zone example.test` for a key with the rules certfleet needs, or add that rule" },
        { "wrong-app-key", "ovh: applicationKey is not known on {base} (INVALID_KEY); check applicationKey and that endpoint is the region where the application was created" },
        { "unknown-zone", "ovh: no zone of this OVH account on {base} contains _acme-challenge.nothere.test (account zones: example.test, other.test); host the zone in this account, or check endpoint and credentials" },
        { "unknown-zone-override-least-privilege", "ovh: the consumer key has no access rule for GET /domain/zone/nothere.test/record (NOT_GRANTED_CALL); run `certfleet ovh credentials --zone nothere.test` for a key with the rules certfleet needs, or add that rule" },
        { "unknown-zone-override", "ovh: zone nothere.test is not in this OVH account on {base} (404 Client::NotFound: This service does not exist); check zone: and that the application and consumer key belong to the account hosting it" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Refusals_give_one_clear_line_and_leave_nothing(string scenario, string expected)
    {
        await using var lab = await OvhLab.StartAsync(o => scenario.EndsWith("class-shape", StringComparison.Ordinal) ? o with { AuthErrorShape = SimErrorShape.Class } : o);
        var options = scenario switch
        {
            "wrong-secret" or "wrong-secret-class-shape" => lab.Options(appSecret: "not-the-secret"),
            "pending" => lab.Options(OvhLab.PendingKey),
            "expired" => lab.Options(OvhLab.ExpiredKey),
            "unknown-consumer" => lab.Options("never-issued-consumer-key"),
            "missing-rule" => lab.Options(OvhLab.LimitedKey),
            "wrong-app-key" => lab.Options(appKey: "otherRegionKey00"),
            "unknown-zone-override" => lab.Options(OvhLab.WideKey, zone: "nothere.test"),
            "unknown-zone-override-least-privilege" => lab.Options(zone: "nothere.test"),
            _ => lab.Options(),
        };
        var fqdn = scenario.StartsWith("unknown-zone", StringComparison.Ordinal) ? "_acme-challenge.nothere.test" : Name;
        using var provider = lab.Provider(options);

        var e = await Assert.ThrowsAsync<OvhApiException>(() => provider.AddTxtRecordAsync(fqdn, Values[0], Ct));

        Assert.Equal(expected.Replace("{base}", lab.Sim.BaseUrl.ToString(), StringComparison.Ordinal), e.Message);
        await lab.AssertNothingLeftAsync();
        Assert.DoesNotContain(OvhLab.AppSecret, e.Message, StringComparison.Ordinal);
        lab.AssertNoSecretLogged();
    }

    [Fact]
    public async Task A_cname_into_another_zone_of_the_account_is_followed()
    {
        await using var lab = await OvhLab.StartAsync(o => o with
        {
            Zones = [new SimZone("example.test", null, [new SimRecordSeed("_acme-challenge", "CNAME", "_acme-challenge.example.test.other.test.")]), new SimZone("other.test")],
        });
        using var provider = lab.Provider();
        var handle = await provider.AddTxtRecordAsync(Name, Values[0], Ct);
        Assert.Equal("other.test", handle.Zone);
        Assert.Equal("_acme-challenge.example.test.other.test", handle.Fqdn);
        Assert.Equal(Name, handle.Data["cnameFrom"]);
        Assert.Contains("is a CNAME to _acme-challenge.example.test.other.test in OVH zone other.test", lab.Logs.All, StringComparison.Ordinal);

        await provider.PublishAsync([handle], Ct);
        var result = await lab.WaitAsync("other.test", handle.Fqdn, [Values[0]], TimeSpan.FromSeconds(10));
        Assert.True(result.IsComplete, result.Describe());
        await provider.RemoveTxtRecordsAsync([handle], Ct);
        await lab.AssertNothingLeftAsync();
        Assert.Contains(lab.Sim.GetRecords("example.test"), r => r.FieldType == "CNAME");
    }

    [Fact]
    public async Task A_killed_run_behind_a_cname_is_cleaned_up_at_the_target()
    {
        await using var lab = await OvhLab.StartAsync(o => o with
        {
            Zones = [new SimZone("example.test", null, [new SimRecordSeed("_acme-challenge", "CNAME", "acme-delegate.other.test.")]), new SimZone("other.test")],
        });
        using (var killed = lab.Provider())
        {
            var handle = await killed.AddTxtRecordAsync(Name, Values[0], Ct);
            await killed.PublishAsync([handle], Ct);
        }

        Assert.Single(lab.Sim.GetRecords("other.test"));
        using var next = lab.Provider();
        await next.RemoveTxtRecordsAsync([new DnsRecordHandle("lab", Name, Values[0], "", new Dictionary<string, string>())], Ct);
        Assert.Empty(lab.Sim.GetRecords("other.test"));
        await lab.Sim.WaitForPublicationsAsync(Ct);
        Assert.Empty(await lab.Bind.TxtAsync("acme-delegate.other.test"));
    }

    [Fact]
    public async Task A_cname_leaving_the_account_is_a_clear_error()
    {
        await using var lab = await OvhLab.StartAsync(o => o with
        {
            Zones = [new SimZone("example.test", null, [new SimRecordSeed("_acme-challenge", "CNAME", "acme.elsewhere.invalid.")]), new SimZone("other.test")],
        });
        using var provider = lab.Provider();
        var e = await Assert.ThrowsAsync<OvhApiException>(() => provider.AddTxtRecordAsync(Name, Values[0], Ct));
        Assert.StartsWith("ovh: _acme-challenge.example.test is a CNAME to acme.elsewhere.invalid, which is in no OVH zone of this account", e.Message, StringComparison.Ordinal);
        await lab.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task A_killed_run_is_cleaned_up_by_value_and_only_our_values_go()
    {
        await using var lab = await OvhLab.StartAsync();
        using (var killed = lab.Provider())
        {
            foreach (var value in Values)
            {
                await killed.AddTxtRecordAsync(Name, value, Ct);
            }

            await killed.PublishAsync([new DnsRecordHandle("lab", Name, Values[0], "example.test", new Dictionary<string, string>())], Ct);
        }

        // Someone else's records: another value at the name, our value at a name the LIKE filter also matches,
        // and one of our values typed in the web UI (quoted).
        var foreign = lab.Sim.AddRecord("example.test", new SimRecordSeed("_acme-challenge", "TXT", "\"someone-else\""));
        var lookalike = lab.Sim.AddRecord("example.test", new SimRecordSeed("xacme-challenge", "TXT", Values[0]));
        lab.Sim.AddRecord("example.test", new SimRecordSeed("_acme-challenge", "TXT", "\"" + Values[1] + "\""));

        using var next = lab.Provider();
        var persisted = Values.Select(v => new DnsRecordHandle("lab", Name, v, "", new Dictionary<string, string>())).ToList();
        await next.RemoveTxtRecordsAsync(persisted, Ct);
        await next.RemoveTxtRecordsAsync(persisted, Ct); // already gone: still fine

        var left = lab.Sim.GetRecords("example.test");
        Assert.Equal([foreign.Id, lookalike.Id], left.Select(r => r.Id).Order());
        await lab.Sim.WaitForPublicationsAsync(Ct);
        Assert.Equal(["someone-else"], await lab.Bind.TxtAsync(Name));
    }

    [Fact]
    public async Task Without_the_right_to_read_the_zone_nameservers_come_from_ns_records()
    {
        await using var lab = await OvhLab.StartAsync();
        lab.Sim.AddConsumerKey(OvhLab.AppKey, new SimConsumerKey("labConsumerKeyRecordsOnly0000000", "validated", [new("GET", "/domain/zone/example.test/record*")]));
        using var provider = lab.Provider(lab.Options("labConsumerKeyRecordsOnly0000000"));
        Assert.Null(await provider.GetAuthoritativeNameserversAsync("example.test", Ct));
        Assert.Contains("cannot read the nameservers of zone example.test", lab.Logs.All, StringComparison.Ordinal);

        using var full = lab.Provider();
        Assert.NotNull(await full.GetAuthoritativeNameserversAsync("example.test", Ct));
    }

    [Fact]
    public async Task A_persisted_id_whose_value_changed_is_left_alone()
    {
        await using var lab = await OvhLab.StartAsync();
        var other = lab.Sim.AddRecord("example.test", new SimRecordSeed("_acme-challenge", "TXT", "not-ours"));
        using var provider = lab.Provider();
        var stale = new DnsRecordHandle("lab", Name, Values[0], "example.test", new Dictionary<string, string> { ["id"] = other.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ["subDomain"] = "_acme-challenge" });
        await provider.RemoveTxtRecordsAsync([stale], Ct);
        Assert.Equal([other.Id], lab.Sim.GetRecords("example.test").Select(r => r.Id));
        Assert.Contains("no longer holds the value", lab.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_account_works_and_a_wrong_client_secret_is_named()
    {
        await using var lab = await OvhLab.StartAsync();
        using (var provider = lab.Provider(lab.OAuthOptions()))
        {
            var handle = await provider.AddTxtRecordAsync(Name, Values[0], Ct);
            await provider.PublishAsync([handle], Ct);
            Assert.True((await lab.WaitAsync("example.test", Name, [Values[0]], TimeSpan.FromSeconds(10))).IsComplete);
            await provider.RemoveTxtRecordsAsync([handle], Ct);
            await lab.AssertNothingLeftAsync();
        }

        using var wrong = lab.Provider(lab.OAuthOptions("wrong"));
        var e = await Assert.ThrowsAsync<OvhApiException>(() => wrong.AddTxtRecordAsync(Name, Values[0], Ct));
        Assert.Equal($"ovh: the service account was refused by {lab.Sim.TokenUrl} (401); check clientId and clientSecret", e.Message);
        lab.AssertNoSecretLogged();
    }
}
