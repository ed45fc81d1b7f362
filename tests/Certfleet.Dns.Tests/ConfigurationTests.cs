using Certfleet.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Certfleet.Dns.Tests;

public sealed class ConfigurationTests
{
    private static ConfigNode Dns(string yaml, ConfigErrors errors) =>
        ConfigNode.Parse(yaml, "certfleet.yaml", errors).GetSection(new ConfigKey("dns", ConfigValueKind.Section, "dns"))!;

    [Fact]
    public void Absent_section_gives_the_defaults()
    {
        var options = DnsOptions.Read(null);
        Assert.Equal(TimeSpan.FromMinutes(10), options.Propagation.Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.Propagation.Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Propagation.FirstInterval);
        Assert.Empty(options.Propagation.Nameservers);
        Assert.Empty(options.Resolvers);
    }

    [Fact]
    public void Propagation_settings_are_read()
    {
        var errors = new ConfigErrors();
        var options = DnsOptions.Read(Dns("""
            dns:
              resolvers: [127.0.0.1:5353]
              propagation:
                timeout: 90s
                interval: 500ms
                nameservers: [127.0.0.1:5300, "[::1]:53", ns1.example.com]
            """, errors));
        Assert.False(errors.HasErrors, string.Join("\n", errors.All));
        Assert.Equal(TimeSpan.FromSeconds(90), options.Propagation.Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.Propagation.Interval);
        Assert.Equal([new DnsServerEndpoint("127.0.0.1", 5300), new DnsServerEndpoint("::1", 53), new DnsServerEndpoint("ns1.example.com", 53)], options.Propagation.Nameservers);
        Assert.Equal([new DnsServerEndpoint("127.0.0.1", 5353)], options.Resolvers);
    }

    [Fact]
    public void Invalid_values_are_reported_at_their_line()
    {
        var errors = new ConfigErrors();
        DnsOptions.Read(Dns("""
            dns:
              propagation:
                timeout: soon
                interval: 0s
                nameservers: [127.0.0.1:99999]
                retries: 3
            """, errors));
        var all = errors.All.Select(e => e.ToString()).ToList();
        Assert.Contains(all, e => e.StartsWith("certfleet.yaml:3:", StringComparison.Ordinal) && e.Contains("dns.propagation.timeout must be a duration", StringComparison.Ordinal));
        Assert.Contains(all, e => e.StartsWith("certfleet.yaml:4:", StringComparison.Ordinal) && e.Contains("dns.propagation.interval: must be longer than zero", StringComparison.Ordinal));
        Assert.Contains(all, e => e.StartsWith("certfleet.yaml:5:", StringComparison.Ordinal) && e.Contains("invalid port '99999'", StringComparison.Ordinal));
        Assert.Contains(all, e => e.StartsWith("certfleet.yaml:6:", StringComparison.Ordinal) && e.Contains("unknown key 'retries'", StringComparison.Ordinal));
    }

    [Fact]
    public void Schemas_describe_every_key_with_defaults()
    {
        Assert.Equal(["dns", "dns.propagation"], DnsOptions.Schemas.Select(s => s.Path));
        Assert.All(DnsOptions.Schemas.SelectMany(s => s.Keys), k => Assert.False(string.IsNullOrWhiteSpace(k.Description)));
        Assert.Equal("10m", DnsOptions.PropagationSchema["timeout"].Default);
        Assert.Equal("500ms", DnsOptions.PropagationSchema["interval"].Default);
        Assert.Equal(DurationParser.Format(PropagationOptions.DefaultInterval), DnsOptions.PropagationSchema["interval"].Default);
        Assert.Contains($"after {PropagationOptions.DefaultFirstInterval.TotalMilliseconds} ms", DnsOptions.PropagationSchema["interval"].Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ns1.example.com", "ns1.example.com", 53)]
    [InlineData("127.0.0.1:5353", "127.0.0.1", 5353)]
    [InlineData("[::1]:5353", "::1", 5353)]
    [InlineData("2001:db8::53", "2001:db8::53", 53)]
    public void Endpoints_parse(string text, string host, int port)
    {
        Assert.True(DnsServerEndpoint.TryParse(text, 53, out var endpoint, out var error), error);
        Assert.Equal(new DnsServerEndpoint(host, port), endpoint);
    }

    [Theory]
    [InlineData(":53", "has no host")]
    [InlineData("host:0", "invalid port '0'")]
    [InlineData("host:x", "invalid port 'x'")]
    [InlineData("[::1:53", "without ']'")]
    public void Bad_endpoints_are_refused(string text, string reason)
    {
        Assert.False(DnsServerEndpoint.TryParse(text, 53, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_creates_providers_by_type()
    {
        var errors = new ConfigErrors();
        var registry = new DnsProviderRegistry([new FakeFactory("alpha"), new FakeFactory("beta")]);
        var providers = registry.CreateProviders(Dns("""
            dns:
              providers:
                first: { type: beta }
                second: { type: alpha }
            """, errors), Context());
        Assert.False(errors.HasErrors, string.Join("\n", errors.All));
        Assert.Equal(["first", "second"], providers.Keys.Order());
        Assert.Equal("beta", ((FakeProvider)providers["first"]).Type);
        Assert.Equal(["alpha", "beta"], registry.Types);
    }

    [Fact]
    public void Registry_reports_an_unknown_type_at_its_line_with_the_known_types()
    {
        var errors = new ConfigErrors();
        var registry = new DnsProviderRegistry([new FakeFactory("rfc2136"), new FakeFactory("ovh")]);
        var providers = registry.CreateProviders(Dns("""
            dns:
              providers:
                lab:
                  type: route53
                other:
                  server: x
            """, errors), Context());
        Assert.Empty(providers);
        var all = errors.All.Select(e => e.ToString()).ToList();
        Assert.Contains("certfleet.yaml:4:13: dns.providers.lab.type: unknown provider type 'route53'; known types: ovh, rfc2136", all);
        Assert.Contains(all, e => e.StartsWith("certfleet.yaml:6:", StringComparison.Ordinal) && e.Contains("dns.providers.other.type is required", StringComparison.Ordinal));
    }

    [Fact]
    public void Registry_refuses_two_factories_of_one_type() =>
        Assert.Throws<ArgumentException>(() => new DnsProviderRegistry([new FakeFactory("a"), new FakeFactory("a")]));

    private static DnsProviderContext Context() => new(NullLoggerFactory.Instance, TimeProvider.System);

    private sealed class FakeFactory(string type) : IDnsProviderFactory
    {
        public string Type => type;

        public ConfigSectionSchema Schema { get; } = new("dns.providers.<name>", "fake", [DnsProviderRegistry.TypeKey(type)]);

        public IDnsProvider? Create(string name, ConfigNode section, DnsProviderContext context)
        {
            section.RejectUnknownKeys(Schema);
            return new FakeProvider(name, type);
        }
    }

    private sealed class FakeProvider(string name, string type) : IDnsProvider
    {
        public string Name => name;

        public string Type => type;

        public Task<DnsRecordHandle> AddTxtRecordAsync(string fqdn, string value, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task PublishAsync(IReadOnlyList<DnsRecordHandle> added, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task RemoveTxtRecordsAsync(IReadOnlyList<DnsRecordHandle> handles, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<IReadOnlyList<string>?> GetAuthoritativeNameserversAsync(string zone, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>?>(null);
    }
}
