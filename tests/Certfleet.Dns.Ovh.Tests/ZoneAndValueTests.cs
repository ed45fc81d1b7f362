namespace Certfleet.Dns.Ovh.Tests;

public sealed class ZoneAndValueTests
{
    private static readonly string[] Zones = ["example.com", "sub.example.com", "ample.com", "other.org"];

    [Theory]
    [InlineData("_acme-challenge.example.com", "example.com")]
    [InlineData("_acme-challenge.www.example.com", "example.com")]
    [InlineData("_acme-challenge.sub.example.com", "sub.example.com")]
    [InlineData("_acme-challenge.a.sub.example.com.", "sub.example.com")]
    [InlineData("_ACME-Challenge.Example.COM", "example.com")]
    [InlineData("example.com", "example.com")]
    [InlineData("_acme-challenge.ample.com", "ample.com")]
    public void The_longest_zone_on_a_label_boundary_wins(string fqdn, string zone) => Assert.Equal(zone, OvhProvider.FindZone(fqdn, Zones));

    [Theory]
    [InlineData("_acme-challenge.xexample.com")]
    [InlineData("_acme-challenge.example.net")]
    [InlineData("com")]
    public void Names_outside_every_zone_find_none(string fqdn) => Assert.Null(OvhProvider.FindZone(fqdn, Zones));

    [Theory]
    [InlineData("\"abc\"", "abc")]
    [InlineData("abc", "abc")]
    [InlineData("\"\"abc\"\"", "\"abc\"")]
    [InlineData("\"abc", "\"abc")]
    [InlineData("\"", "\"")]
    [InlineData("", "")]
    public void One_pair_of_surrounding_quotes_is_stripped(string target, string value) => Assert.Equal(value, OvhProvider.StripQuotes(target));

    [Fact]
    public void Required_rules_cover_exactly_the_calls_made()
    {
        var rules = OvhCredentialService.RequiredRules(["Example.com.", "other.org", "example.com"]).Select(r => r.ToString()).ToList();
        Assert.Equal(
            [
                "GET /domain/zone",
                "GET /domain/zone/example.com", "GET /domain/zone/example.com/record", "POST /domain/zone/example.com/record",
                "GET /domain/zone/example.com/record/*", "DELETE /domain/zone/example.com/record/*", "POST /domain/zone/example.com/refresh",
                "GET /domain/zone/other.org", "GET /domain/zone/other.org/record", "POST /domain/zone/other.org/record",
                "GET /domain/zone/other.org/record/*", "DELETE /domain/zone/other.org/record/*", "POST /domain/zone/other.org/refresh",
            ],
            rules);
    }

    [Theory]
    [InlineData("GET", "/*", "GET", "/domain/zone/example.com/record/*", true)]
    [InlineData("GET", "/domain/zone/*", "GET", "/domain/zone", false)]
    [InlineData("GET", "/domain/zone/example.com/record/*", "GET", "/domain/zone/example.com/record/*", true)]
    [InlineData("DELETE", "/domain/zone/example.com/record/*", "GET", "/domain/zone/example.com/record/*", false)]
    [InlineData("POST", "/domain/zone/example.com/*", "POST", "/domain/zone/example.com/refresh", true)]
    [InlineData("POST", "/domain/zone/other.org/*", "POST", "/domain/zone/example.com/refresh", false)]
    public void Granted_rules_cover_required_ones(string gm, string gp, string rm, string rp, bool covers) =>
        Assert.Equal(covers, OvhCredentialService.Covers(new OvhAccessRule(gm, gp), new OvhAccessRule(rm, rp)));
}
