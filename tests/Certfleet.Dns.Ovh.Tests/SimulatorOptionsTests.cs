using Certfleet.OvhSimulator;

namespace Certfleet.Dns.Ovh.Tests;

public sealed class SimulatorOptionsTests
{
    [Fact]
    public void The_example_configuration_loads()
    {
        var options = SimulatorOptions.Load(Path.Combine(AppContext.BaseDirectory, "example-config.json"));
        Assert.Equal(TimeSpan.FromSeconds(5), options.PublicationDelay);
        Assert.Equal(TimeSpan.FromMinutes(5), options.ClockSkew);
        Assert.Equal(0.2, options.FailureRate);
        var app = Assert.Single(options.Applications);
        Assert.Equal(7, app.ConsumerKeys[0].Rules.Count);
        Assert.Equal("pendingValidation", app.ConsumerKeys[1].State);
        Assert.Equal(["example.test", "other.test"], options.Zones.Select(z => z.Name));
        Assert.Equal("A", Assert.Single(options.Zones[1].Records!).FieldType);
        Assert.Equal("EU.demo", Assert.Single(options.OAuthClients).ClientId);
    }

    [Fact]
    public void The_command_line_builds_options()
    {
        var options = SimulatorProgram.Parse(["--urls", "http://127.0.0.1:9000", "--bind", "127.0.0.1:53", "--delay", "5s", "--failure-rate", "0.2", "--clock-skew", "-300s", "--app", "AK:AS", "--consumer-key", "CK", "--zone", "example.test"]);
        Assert.Equal("http://127.0.0.1:9000", options.Url);
        Assert.Equal("127.0.0.1:53", options.BindServer);
        Assert.Equal(TimeSpan.FromSeconds(5), options.PublicationDelay);
        Assert.Equal(TimeSpan.FromSeconds(-300), options.ClockSkew);
        Assert.Equal("validated", Assert.Single(Assert.Single(options.Applications).ConsumerKeys).State);
        Assert.Equal("example.test", Assert.Single(options.Zones).Name);
        Assert.Throws<FormatException>(() => SimulatorProgram.Parse(["--delay", "soon"]));
        Assert.Throws<FormatException>(() => SimulatorProgram.Parse(["--nope"]));
    }

    [Theory]
    [InlineData("_acme-challenge", "_acme-challenge", true)]
    [InlineData("_acme-challenge", "xacme-challenge", true)]
    [InlineData("_acme-challenge", "_ACME-challenge", true)]
    [InlineData("_acme-challenge", "_acme-challenge.www", false)]
    [InlineData("%.www", "_acme-challenge.www", true)]
    public void SubDomain_filters_are_like_matches(string like, string subDomain, bool matches) =>
        Assert.Equal(matches, OvhSimulator.OvhSimulator.LikeToRegex(like).IsMatch(subDomain));

    [Fact]
    public void The_simulator_signs_as_the_published_vectors() =>
        Assert.Equal("$1$e9556054b6309771395efa467c22e627407461ad",
            OvhSimulator.OvhSimulator.Sign("9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk", "5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY", "GET", "https://eu.api.ovh.com/1.0/auth", "", 1457018875));
}
