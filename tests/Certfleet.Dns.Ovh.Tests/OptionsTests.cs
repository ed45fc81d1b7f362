using Certfleet.Configuration;

namespace Certfleet.Dns.Ovh.Tests;

public sealed class OptionsTests
{
    private static readonly ConfigKey Section = new("ovh", ConfigValueKind.Section, "provider under test");

    private static (OvhOptions? Options, IReadOnlyList<ConfigError> Errors) Read(string yaml, bool requireConsumerKey = true)
    {
        var errors = new ConfigErrors();
        var env = new Dictionary<string, string> { ["OVH_AS"] = "app-secret", ["OVH_CK"] = "consumer-key", ["OVH_CS"] = "client-secret" };
        var root = ConfigNode.Parse(yaml, "certfleet.yaml", errors, n => env.GetValueOrDefault(n));
        var section = root.GetSection(Section)!;
        return (OvhOptions.Read(section, requireConsumerKey), errors.All);
    }

    [Fact]
    public void A_complete_application_section_is_read()
    {
        var (options, errors) = Read("""
            ovh:
              type: ovh
              endpoint: ovh-ca
              applicationKey: AK1
              applicationSecret: env:OVH_AS
              consumerKey: env:OVH_CK
              zone: Example.COM.
              ttl: 120
            """);
        Assert.Empty(errors);
        Assert.NotNull(options);
        Assert.Equal(new Uri("https://ca.api.ovh.com/1.0"), options.BaseUrl);
        var app = Assert.IsType<OvhApplicationAuthentication>(options.Authentication);
        Assert.Equal("AK1", app.ApplicationKey);
        Assert.Equal("app-secret", app.ApplicationSecret.Reveal());
        Assert.Equal("consumer-key", app.ConsumerKey!.Reveal());
        Assert.Equal("example.com", options.Zone);
        Assert.Equal(120, options.Ttl);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RequestTimeout);
        Assert.DoesNotContain("app-secret", options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_are_eu_and_a_60_second_ttl()
    {
        var (options, errors) = Read("""
            ovh:
              type: ovh
              applicationKey: AK1
              applicationSecret: env:OVH_AS
              consumerKey: env:OVH_CK
            """);
        Assert.Empty(errors);
        Assert.Equal(new Uri("https://eu.api.ovh.com/1.0"), options!.BaseUrl);
        Assert.Equal(60, options.Ttl);
        Assert.Null(options.Zone);
    }

    [Fact]
    public void A_service_account_uses_the_region_token_url()
    {
        var (options, errors) = Read("""
            ovh:
              type: ovh
              endpoint: ovh-us
              clientId: EU.abc
              clientSecret: env:OVH_CS
            """);
        Assert.Empty(errors);
        var oauth = Assert.IsType<OvhOAuth2Authentication>(options!.Authentication);
        Assert.Equal(new Uri("https://us.ovhcloud.com/auth/oauth2/token"), oauth.TokenUrl);
    }

    [Fact]
    public void Mixing_both_modes_is_an_error_at_the_line_of_clientId()
    {
        var (options, errors) = Read("""
            ovh:
              type: ovh
              applicationKey: AK1
              applicationSecret: env:OVH_AS
              consumerKey: env:OVH_CK
              clientId: EU.abc
              clientSecret: env:OVH_CS
            """);
        Assert.Null(options);
        var error = Assert.Single(errors);
        Assert.Equal("certfleet.yaml:6:13", error.Location.ToString());
        Assert.Contains("not both", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_with_its_line()
    {
        var (options, errors) = Read("""
            ovh:
              type: ovh
              endpoint: ovh-mars
              applicationKey: AK1
              applicationSecret: env:MISSING
              ttl: 5
              zon: example.com
              requestTimeout: 20m
            """);
        Assert.Null(options);
        var lines = errors.Select(e => $"{e.Location.Line}: {e.Message}").ToList();
        Assert.Contains(lines, l => l.StartsWith("3: ", StringComparison.Ordinal) && l.Contains("'ovh-mars' is neither a region", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("5: ", StringComparison.Ordinal) && l.Contains("MISSING is not set", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("6: ", StringComparison.Ordinal) && l.Contains("ovh.ttl must be a whole number from 60", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("7: ", StringComparison.Ordinal) && l.Contains("did you mean 'zone'?", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("8: ", StringComparison.Ordinal) && l.Contains("ovh.requestTimeout must be from 1s to 10m, not '20m'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("consumerKey is required; run `certfleet ovh credentials`", StringComparison.Ordinal));
    }

    [Fact]
    public void The_credentials_command_needs_no_consumer_key()
    {
        var (options, errors) = Read("""
            ovh:
              type: ovh
              applicationKey: AK1
              applicationSecret: env:OVH_AS
            """, requireConsumerKey: false);
        Assert.Empty(errors);
        Assert.Null(((OvhApplicationAuthentication)options!.Authentication).ConsumerKey);
    }

    [Fact]
    public void No_credentials_at_all_is_an_error()
    {
        var (options, errors) = Read("""
            ovh:
              type: ovh
            """);
        Assert.Null(options);
        Assert.Contains(errors, e => e.Message.Contains("needs credentials", StringComparison.Ordinal) && e.Location.Line == 2);
    }

    [Fact]
    public void A_base_url_with_a_service_account_needs_a_token_url()
    {
        var (options, errors) = Read("""
            ovh:
              type: ovh
              endpoint: http://127.0.0.1:8080/1.0
              clientId: x
              clientSecret: env:OVH_CS
            """);
        Assert.Null(options);
        Assert.Contains(errors, e => e.Message.Contains("set tokenUrl", StringComparison.Ordinal) && e.Location.Line == 4);
    }

    [Fact]
    public void The_schema_documents_every_key()
    {
        var factory = new OvhProviderFactory();
        Assert.Equal("ovh", factory.Type);
        Assert.All(factory.Schema.Keys, k =>
        {
            Assert.False(string.IsNullOrWhiteSpace(k.Description));
            Assert.NotNull(k.Example);
        });
        Assert.Equal("ovh-eu", factory.Schema["endpoint"].Default);
        Assert.Equal("60", factory.Schema["ttl"].Default);
    }
}
