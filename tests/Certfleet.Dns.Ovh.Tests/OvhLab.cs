using Certfleet.Configuration;
using Certfleet.OvhSimulator;

namespace Certfleet.Dns.Ovh.Tests;

/// <summary>A real BIND with example.test and other.test, and the OVH simulator publishing into it.</summary>
internal sealed class OvhLab : IAsyncDisposable
{
    public const string AppKey = "labAppKey0123456";
    public const string AppSecret = "labAppSecretAbCdEfGhIjKlMnOpQrStU";
    public const string ConsumerKey = "labConsumerKeyValidated000000000";
    public const string PendingKey = "labConsumerKeyPending00000000000";
    public const string ExpiredKey = "labConsumerKeyExpired00000000000";
    public const string LimitedKey = "labConsumerKeyNoPostRecord000000";
    public const string WideKey = "labConsumerKeyEverything00000000";
    public const string ClientId = "EU.labclient";
    public const string ClientSecret = "labClientSecret-9876543210";
    public static readonly string[] Zones = ["example.test", "other.test"];

    private OvhLab(TestBind bind, OvhSimulator.OvhSimulator sim)
    {
        Bind = bind;
        Sim = sim;
    }

    public TestBind Bind { get; }

    public OvhSimulator.OvhSimulator Sim { get; }

    public CapturingLoggerFactory Logs { get; } = new();

    public static async Task<OvhLab> StartAsync(Func<SimulatorOptions, SimulatorOptions>? configure = null)
    {
        var bind = await TestBind.StartAsync(Zones);
        var rules = OvhCredentialService.RequiredRules(Zones).Select(r => new SimRule(r.Method, r.Path)).ToList();
        var options = new SimulatorOptions
        {
            BindServer = bind.Endpoint,
            TsigKeyFile = bind.KeyFile,
            Seed = 1,
            Applications =
            [
                new SimApplication(AppKey, AppSecret,
                [
                    new SimConsumerKey(ConsumerKey, "validated", rules),
                    new SimConsumerKey(PendingKey, "pendingValidation", rules),
                    new SimConsumerKey(ExpiredKey, "validated", rules, DateTimeOffset.UtcNow.AddMinutes(-1)),
                    new SimConsumerKey(WideKey, "validated", [new("GET", "/*"), new("POST", "/*"), new("PUT", "/*"), new("DELETE", "/*")]),
                    new SimConsumerKey(LimitedKey, "validated", rules.Where(r => !(r.Method == "POST" && r.Path == "/domain/zone/example.test/record")).ToList()),
                ]),
            ],
            OAuthClients = [new SimOAuthClient(ClientId, ClientSecret, rules)],
            Zones = [new SimZone("example.test"), new SimZone("other.test")],
        };
        var sim = new OvhSimulator.OvhSimulator(configure?.Invoke(options) ?? options);
        try
        {
            await sim.StartAsync();
        }
        catch
        {
            await bind.DisposeAsync();
            throw;
        }

        return new OvhLab(bind, sim);
    }

    public OvhOptions Options(string consumerKey = ConsumerKey, string appSecret = AppSecret, string appKey = AppKey, string? zone = null) =>
        new("lab", Sim.BaseUrl, new OvhApplicationAuthentication(appKey, new Secret(appSecret, "literal"), new Secret(consumerKey, "literal")), zone, 60, TimeSpan.FromSeconds(5));

    public OvhOptions OAuthOptions(string clientSecret = ClientSecret) =>
        new("lab", Sim.BaseUrl, new OvhOAuth2Authentication(ClientId, new Secret(clientSecret, "literal"), Sim.TokenUrl), null, 60, TimeSpan.FromSeconds(5));

    /// <summary>A provider with short retry delays (the production default starts at 500 ms).</summary>
    internal OvhProvider Provider(OvhOptions? options = null)
    {
        options ??= Options();
        var api = new OvhApiClient(options, null, TimeProvider.System, Logs.CreateLogger("api")) { RetryBaseDelay = TimeSpan.FromMilliseconds(20) };
        return new OvhProvider("lab", options, api, Logs.CreateLogger("provider"));
    }

    /// <summary>The engine's own check: every nameserver serves every value (here BIND, on its lab port).</summary>
    public async Task<PropagationResult> WaitAsync(string zone, string name, IReadOnlyCollection<string> values, TimeSpan timeout)
    {
        var options = DnsOptions.Default with
        {
            Propagation = new PropagationOptions(timeout, TimeSpan.FromMilliseconds(100), [new DnsServerEndpoint("127.0.0.1", Bind.Port)]),
        };
        return await new PropagationChecker(options).WaitAsync(new PropagationRequest(zone, name, values), null, TestContext.Current.CancellationToken);
    }

    /// <summary>Nothing under _acme-challenge, neither in the API nor in BIND, once publications are done.</summary>
    public async Task AssertNothingLeftAsync()
    {
        await Sim.WaitForPublicationsAsync(TestContext.Current.CancellationToken);
        foreach (var zone in Zones)
        {
            Assert.DoesNotContain(Sim.GetRecords(zone), r => r.FieldType == "TXT" && r.SubDomain.StartsWith("_acme-challenge", StringComparison.Ordinal));
            Assert.Empty(await Bind.TxtAsync("_acme-challenge." + zone));
        }
    }

    public void AssertNoSecretLogged()
    {
        var all = Logs.All;
        foreach (var secret in new[] { AppSecret, ConsumerKey, PendingKey, ExpiredKey, LimitedKey, WideKey, ClientSecret })
        {
            Assert.DoesNotContain(secret, all, StringComparison.Ordinal);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Sim.DisposeAsync();
        await Bind.DisposeAsync();
    }
}
