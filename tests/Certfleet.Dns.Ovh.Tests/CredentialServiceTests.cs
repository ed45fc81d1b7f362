using Certfleet.Configuration;

namespace Certfleet.Dns.Ovh.Tests;

public sealed class CredentialServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_requested_key_works_once_validated_and_check_reports_it()
    {
        await using var lab = await OvhLab.StartAsync();
        var appOnly = lab.Options() with { Authentication = new OvhApplicationAuthentication(OvhLab.AppKey, new Secret(OvhLab.AppSecret, "literal"), null) };
        using var service = new OvhCredentialService(appOnly, new DnsProviderContext(lab.Logs, TimeProvider.System));

        var request = await service.RequestConsumerKeyAsync(["example.test"], null, Ct);
        Assert.Equal("pendingValidation", request.State);
        Assert.StartsWith(lab.Sim.Root.AbsoluteUri + "auth/?credentialToken=", request.ValidationUrl.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal(OvhCredentialService.RequiredRules(["example.test"]), request.Rules);
        Assert.DoesNotContain(request.ConsumerKey.Reveal(), request.ToString(), StringComparison.Ordinal);

        var keyed = lab.Options(request.ConsumerKey.Reveal());
        using var checker = new OvhCredentialService(keyed, new DnsProviderContext(lab.Logs, TimeProvider.System));
        var before = await checker.CheckAsync(["example.test"], Ct);
        Assert.False(before.Ok);
        Assert.Equal("invalid", before.Status);
        Assert.Contains("certfleet ovh credentials", before.Error, StringComparison.Ordinal);

        using (var http = new HttpClient())
        {
            (await http.GetAsync(request.ValidationUrl, Ct)).EnsureSuccessStatusCode();
        }

        var after = await checker.CheckAsync(["example.test"], Ct);
        Assert.True(after.Ok, string.Join(", ", after.MissingRules));
        Assert.Equal("validated", after.Status);
        Assert.Null(after.Expiration);
        Assert.Equal(7, after.Rules.Count);
        Assert.Equal(["127.0.0.1:" + lab.Bind.Port], Assert.Single(after.Zones).NameServers);

        // The key was made for example.test only: other.test is neither granted nor readable.
        var wider = await checker.CheckAsync(["example.test", "other.test"], Ct);
        Assert.False(wider.Ok);
        Assert.Equal(6, wider.MissingRules.Count);
        Assert.All(wider.MissingRules, r => Assert.Contains("/domain/zone/other.test", r.Path, StringComparison.Ordinal));
        var otherZone = wider.Zones.Single(z => z.Zone == "other.test");
        Assert.False(otherZone.Readable);
        Assert.Contains("NOT_GRANTED_CALL", otherZone.Error, StringComparison.Ordinal);

        using var provider = lab.Provider(keyed);
        var handle = await provider.AddTxtRecordAsync("_acme-challenge.example.test", "v", Ct);
        await provider.RemoveTxtRecordsAsync([handle], Ct);
        await lab.AssertNothingLeftAsync();
        Assert.DoesNotContain(request.ConsumerKey.Reveal(), lab.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_names_the_missing_rule_of_a_limited_key()
    {
        await using var lab = await OvhLab.StartAsync();
        using var checker = new OvhCredentialService(lab.Options(OvhLab.LimitedKey), new DnsProviderContext(lab.Logs, TimeProvider.System));
        var check = await checker.CheckAsync(["example.test"], Ct);
        Assert.False(check.Ok);
        Assert.Equal("POST /domain/zone/example.test/record", Assert.Single(check.MissingRules).ToString());
        Assert.True(Assert.Single(check.Zones).Readable);
    }

    [Fact]
    public async Task An_expiring_validation_is_reported_and_then_refused()
    {
        await using var lab = await OvhLab.StartAsync();
        var appOnly = lab.Options() with { Authentication = new OvhApplicationAuthentication(OvhLab.AppKey, new Secret(OvhLab.AppSecret, "literal"), null) };
        using var service = new OvhCredentialService(appOnly, new DnsProviderContext(lab.Logs, TimeProvider.System));
        var request = await service.RequestConsumerKeyAsync(["example.test"], null, Ct);
        using (var http = new HttpClient())
        {
            (await http.PostAsync(new Uri(request.ValidationUrl.AbsoluteUri + "&expiration=3600"), null, Ct)).EnsureSuccessStatusCode();
        }

        using var checker = new OvhCredentialService(lab.Options(request.ConsumerKey.Reveal()), new DnsProviderContext(lab.Logs, TimeProvider.System));
        var check = await checker.CheckAsync(["example.test"], Ct);
        Assert.True(check.Ok);
        Assert.InRange(check.Expiration!.Value, DateTimeOffset.UtcNow.AddMinutes(59), DateTimeOffset.UtcNow.AddMinutes(61));
    }

    [Fact]
    public async Task A_service_account_cannot_request_a_consumer_key()
    {
        await using var lab = await OvhLab.StartAsync();
        using var service = new OvhCredentialService(lab.OAuthOptions(), new DnsProviderContext(lab.Logs, TimeProvider.System));
        var e = await Assert.ThrowsAsync<OvhApiException>(() => service.RequestConsumerKeyAsync(["example.test"], null, Ct));
        Assert.StartsWith("ovh: a service account", e.Message, StringComparison.Ordinal);
        var check = await service.CheckAsync(["example.test"], Ct);
        Assert.True(check.Ok);
        Assert.Equal("service-account", check.Status);
    }
}
