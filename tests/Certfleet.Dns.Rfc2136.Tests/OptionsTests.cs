using Certfleet.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Certfleet.Dns.Rfc2136.Tests;

public sealed class OptionsTests
{
    private const string Secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=";

    private static (Rfc2136Options? Options, List<string> Errors) Read(string providerYaml, Func<string, string?>? env = null)
    {
        var errors = new ConfigErrors();
        var root = ConfigNode.Parse("dns:\n  providers:\n    lab:\n" + providerYaml, "certfleet.yaml", errors, env ?? (_ => null));
        var dns = root.GetSection(new ConfigKey("dns", ConfigValueKind.Section, "dns"))!;
        var (_, section) = dns.GetNamedSections(DnsOptions.ProvidersKey).Single();
        var options = Rfc2136Options.Read(section);
        return (options, errors.All.Select(e => e.ToString()).ToList());
    }

    [Fact]
    public void A_full_section_is_read()
    {
        var (options, errors) = Read($"""
                  type: rfc2136
                  server: 127.0.0.1:5300
                  tsigKeyName: Certfleet.
                  tsigAlgorithm: hmac-sha512
                  tsigSecret: env:TSIG
                  zone: Example.Test
                  ttl: 120
                  timeout: 3s
            """, n => n == "TSIG" ? Secret : null);
        Assert.Empty(errors);
        Assert.NotNull(options);
        Assert.Equal(new DnsServerEndpoint("127.0.0.1", 5300), options.Server);
        Assert.Equal("certfleet", options.TsigKeyName);
        Assert.Equal("hmac-sha512", options.TsigAlgorithm);
        Assert.Equal(Secret, options.TsigSecret.Reveal());
        Assert.Equal("env:TSIG", options.TsigSecret.Source);
        Assert.Equal("example.test", options.Zone);
        Assert.Equal(120, options.Ttl);
        Assert.Equal(TimeSpan.FromSeconds(3), options.Timeout);
        Assert.DoesNotContain(Secret, options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_apply()
    {
        var (options, errors) = Read($"""
                  type: rfc2136
                  server: ns1.example.test
                  tsigKeyName: certfleet
                  tsigSecret: {Secret}
            """);
        Assert.Empty(errors);
        Assert.NotNull(options);
        Assert.Equal(53, options.Server.Port);
        Assert.Equal("hmac-sha256", options.TsigAlgorithm);
        Assert.Null(options.Zone);
        Assert.Equal(60, options.Ttl);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Timeout);
    }

    [Fact]
    public void Missing_keys_are_reported_at_the_section()
    {
        var (options, errors) = Read("""
                  type: rfc2136
            """);
        Assert.Null(options);
        Assert.Contains(errors, e => e.StartsWith("certfleet.yaml:4:7: dns.providers.lab.server is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("certfleet.yaml:4:7: dns.providers.lab.tsigKeyName is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("certfleet.yaml:4:7: dns.providers.lab.tsigSecret is required", StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_values_are_reported_at_their_line()
    {
        var (options, errors) = Read("""
                  type: rfc2136
                  server: 127.0.0.1:70000
                  tsigKeyName: certfleet
                  tsigAlgorithm: hmac-md5
                  tsigSecret: not base64!
                  zone: "*.example.test"
                  ttl: 0
                  tsigSecrett: x
            """);
        Assert.Null(options);
        Assert.Contains(errors, e => e.StartsWith("certfleet.yaml:5:", StringComparison.Ordinal) && e.Contains("invalid port '70000'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("certfleet.yaml:7:", StringComparison.Ordinal) && e.Contains("'hmac-md5' is not one of: hmac-sha256, hmac-sha384, hmac-sha512", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("certfleet.yaml:8:", StringComparison.Ordinal) && e.Contains("the secret (from literal) is not base64", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("certfleet.yaml:9:", StringComparison.Ordinal) && e.Contains("is a wildcard", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("certfleet.yaml:10:", StringComparison.Ordinal) && e.Contains("ttl must be a whole number from 1 to 86400", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("certfleet.yaml:11:", StringComparison.Ordinal) && e.Contains("unknown key 'tsigSecrett'", StringComparison.Ordinal) && e.Contains("did you mean 'tsigSecret'?", StringComparison.Ordinal));
        Assert.All(errors, e => Assert.DoesNotContain("not base64!", e, StringComparison.Ordinal));
    }

    [Fact]
    public void The_registry_creates_the_provider_from_the_factory()
    {
        var errors = new ConfigErrors();
        var root = ConfigNode.Parse($"""
            dns:
              providers:
                lab: {"{"} type: rfc2136, server: "127.0.0.1:53", tsigKeyName: k, tsigSecret: "{Secret}" {"}"}
                bad: {"{"} type: rfc2136 {"}"}
            """, "certfleet.yaml", errors);
        var registry = new DnsProviderRegistry([new Rfc2136ProviderFactory()]);
        var providers = registry.CreateProviders(root.GetSection(new ConfigKey("dns", ConfigValueKind.Section, "dns")), new DnsProviderContext(NullLoggerFactory.Instance, TimeProvider.System));
        Assert.Equal(["lab"], providers.Keys);
        Assert.IsType<Rfc2136Provider>(providers["lab"]);
        Assert.Equal("lab", providers["lab"].Name);
        Assert.Contains(errors.All, e => e.Location.Line == 4 && e.Message.Contains("dns.providers.bad.server is required", StringComparison.Ordinal));
        Assert.Equal("rfc2136", Assert.Single(registry.ProviderSchemas)["type"].Example);
        Assert.All(Rfc2136Options.Schema.Keys, k => Assert.False(string.IsNullOrWhiteSpace(k.Description)));
    }
}
