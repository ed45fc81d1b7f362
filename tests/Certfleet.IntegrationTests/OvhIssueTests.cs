using System.Diagnostics;
using Certfleet.Dns.Ovh;
using Certfleet.Lab;
using Certfleet.OvhSimulator;

namespace Certfleet.IntegrationTests;

/// <summary>BIND, the OVH API simulator publishing into it on refresh, and Pebble validating through it.</summary>
public sealed class OvhLabFixture : IAsyncLifetime
{
    public const string AppKey = "itAppKey01234567";
    public const string AppSecret = "itAppSecretAbCdEfGhIjKlMnOpQrStUv";
    public const string ConsumerKey = "itConsumerKeyValidated0000000000";
    public const string PendingKey = "itConsumerKeyPending000000000000";
    public const string NoPostKey = "itConsumerKeyNoPostRecord0000000";

    public BindServer Bind { get; private set; } = null!;

    public OvhSimulator.OvhSimulator Sim { get; private set; } = null!;

    public PebbleServer Pebble { get; private set; } = null!;

    private string _dir = "";

    public async ValueTask InitializeAsync()
    {
        Bind = await BindServer.StartAsync();
        _dir = Directory.CreateTempSubdirectory("certfleet-ovh-it-").FullName;
        var keyFile = Path.Combine(_dir, "tsig.key");
        File.WriteAllText(keyFile, $"key \"{Bind.TsigKeyName}\" {{ algorithm {Bind.TsigAlgorithm}; secret \"{Bind.TsigSecretBase64}\"; }};\n");
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var rules = OvhCredentialService.RequiredRules(Bind.Zones).Select(r => new SimRule(r.Method, r.Path)).ToList();
        Sim = new OvhSimulator.OvhSimulator(new SimulatorOptions
        {
            BindServer = Bind.Endpoint,
            TsigKeyFile = keyFile,
            Seed = 7,
            Applications =
            [
                new SimApplication(AppKey, AppSecret,
                [
                    new SimConsumerKey(ConsumerKey, "validated", rules),
                    new SimConsumerKey(PendingKey, "pendingValidation", rules),
                    new SimConsumerKey(NoPostKey, "validated", rules.Where(r => !(r.Method == "POST" && r.Path.EndsWith("/record", StringComparison.Ordinal))).ToList()),
                ]),
            ],
            Zones = [.. Bind.Zones.Select(z => new SimZone(z))],
        });
        await Sim.StartAsync();
        Pebble = await PebbleServer.StartAsync(new PebbleOptions { DnsServer = Bind.Endpoint });
    }

    public async ValueTask DisposeAsync()
    {
        await Pebble.DisposeAsync();
        await Sim.DisposeAsync();
        await Bind.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class OvhIssueTests(OvhLabFixture lab) : IClassFixture<OvhLabFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Workspace : IDisposable
    {
        public Workspace() => Root = Directory.CreateTempSubdirectory("certfleet-ovh-ws-").FullName;

        public string Root { get; }

        public string StateDir => Path.Combine(Root, "state");

        public string ConfigPath => Path.Combine(Root, "certfleet.yaml");

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }

    private Workspace Write(string consumerKey = OvhLabFixture.ConsumerKey, string domains = "[example.test, \"*.example.test\"]")
    {
        var ws = new Workspace();
        var bundle = Path.Combine(ws.Root, "pebble-tls.pem");
        File.WriteAllText(bundle, lab.Pebble.TlsRootPem);
        File.WriteAllText(ws.ConfigPath, $"""
            stateDir: {ws.StateDir}
            acme:
              directory: {lab.Pebble.DirectoryUri}
              caBundle: {bundle}
            dns:
              propagation:
                timeout: 90s
                interval: 250ms
                nameservers: ["{lab.Bind.Endpoint}"]
              providers:
                ovh:
                  type: ovh
                  endpoint: {lab.Sim.BaseUrl}
                  applicationKey: {OvhLabFixture.AppKey}
                  applicationSecret: env:IT_OVH_APPLICATION_SECRET
                  consumerKey: {consumerKey}
            certificates:
              example:
                domains: {domains}
                dnsProvider: ovh
            """);
        return ws;
    }

    private static Task<CliRun> Run(Workspace ws, string secret, params string[] args) =>
        CliRun.InProcessAsync(["--config", ws.ConfigPath, .. args], name => name == "IT_OVH_APPLICATION_SECRET" ? secret : Environment.GetEnvironmentVariable(name));

    private async Task AssertNothingLeftAsync()
    {
        await lab.Sim.WaitForPublicationsAsync(Ct);
        foreach (var zone in lab.Bind.Zones)
        {
            Assert.DoesNotContain(lab.Sim.GetRecords(zone), r => r.SubDomain.StartsWith("_acme-challenge", StringComparison.Ordinal));
        }

        Assert.Empty(await lab.Bind.QueryTxtAsync("_acme-challenge.example.test", Ct));
    }

    [Fact]
    public async Task Issues_a_wildcard_through_ovh_with_publication_delay_clock_skew_and_failing_calls()
    {
        lab.Sim.PublicationDelay = TimeSpan.FromSeconds(5);
        lab.Sim.ClockSkew = TimeSpan.FromSeconds(300);
        lab.Sim.FailureRate = 0.2;
        try
        {
            using var ws = Write();
            var watch = Stopwatch.StartNew();
            var run = await Run(ws, OvhLabFixture.AppSecret, "issue", "example");
            watch.Stop();
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.True(File.Exists(Path.Combine(ws.StateDir, "live", "example", "fullchain.pem")));

            // The wait follows the real publication delay: not shorter, and no fixed sleep on top.
            Assert.InRange(watch.Elapsed.TotalSeconds, 5, 40);
            Assert.True(lab.Sim.Stats.InjectedFailures > 0, "the simulator injected no failure");
            await AssertNothingLeftAsync();
        }
        finally
        {
            lab.Sim.PublicationDelay = TimeSpan.Zero;
            lab.Sim.ClockSkew = TimeSpan.Zero;
            lab.Sim.FailureRate = 0;
        }
    }

    [Theory]
    [InlineData("wrong secret", OvhLabFixture.ConsumerKey, "wrong-secret", "[example.test]", "applicationSecret")]
    [InlineData("unvalidated consumer key", OvhLabFixture.PendingKey, OvhLabFixture.AppSecret, "[example.test]", "certfleet ovh credentials")]
    [InlineData("missing rule", OvhLabFixture.NoPostKey, OvhLabFixture.AppSecret, "[example.test]", "POST /domain/zone/example.test/record")]
    [InlineData("unknown zone", OvhLabFixture.ConsumerKey, OvhLabFixture.AppSecret, "[www.unknown.test]", "unknown.test")]
    public async Task Refusals_are_one_clear_line_exit_1_and_leave_nothing(string label, string consumerKey, string secret, string domains, string expected)
    {
        using var ws = Write(consumerKey, domains);
        var run = await Run(ws, secret, "issue", "example");
        Assert.True(run.ExitCode == 1, label + ": " + run);
        var line = Assert.Single(run.Error.Trim().Split('\n'));
        Assert.StartsWith("ovh: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain(OvhLabFixture.AppSecret, run.Error + run.Out, StringComparison.Ordinal);
        Assert.Empty(Directory.Exists(Path.Combine(ws.StateDir, "pending")) ? Directory.GetFiles(Path.Combine(ws.StateDir, "pending")) : []);
        await AssertNothingLeftAsync();
    }

    [Fact]
    public async Task Credentials_are_requested_with_least_privilege_then_checked_once_validated()
    {
        using var ws = Write(consumerKey: "env:IT_OVH_CK_UNSET_UNTIL_VALIDATED");
        File.WriteAllText(ws.ConfigPath, File.ReadAllText(ws.ConfigPath).Replace("      consumerKey: env:IT_OVH_CK_UNSET_UNTIL_VALIDATED\n", "", StringComparison.Ordinal));
        var request = await Run(ws, OvhLabFixture.AppSecret, "ovh", "credentials", "--zone", "example.test");
        Assert.True(request.ExitCode == 0, request.ToString());
        Assert.Contains("POST /domain/zone/example.test/record", request.Out, StringComparison.Ordinal);
        Assert.Contains("DELETE /domain/zone/example.test/record/*", request.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("/domain/zone/other.test", request.Out, StringComparison.Ordinal);
        var lines = request.Out.Split('\n').Select(l => l.Trim()).ToList();
        var validationUrl = lines[lines.FindIndex(l => l.StartsWith("1. ", StringComparison.Ordinal)) + 1];
        var consumerKey = lines[lines.FindIndex(l => l.StartsWith("2. ", StringComparison.Ordinal)) + 1];

        File.AppendAllText(ws.ConfigPath, "");
        var withKey = File.ReadAllText(ws.ConfigPath).Replace("      applicationSecret: env:IT_OVH_APPLICATION_SECRET\n", $"      applicationSecret: env:IT_OVH_APPLICATION_SECRET\n      consumerKey: {consumerKey}\n", StringComparison.Ordinal);
        File.WriteAllText(ws.ConfigPath, withKey);
        var pending = await Run(ws, OvhLabFixture.AppSecret, "ovh", "check", "--zone", "example.test");
        Assert.Equal(1, pending.ExitCode);
        Assert.Contains("NOT ok", pending.Out, StringComparison.Ordinal);

        using (var http = new HttpClient())
        {
            (await http.GetAsync(new Uri(validationUrl), Ct)).EnsureSuccessStatusCode();
        }

        var check = await Run(ws, OvhLabFixture.AppSecret, "ovh", "check", "--zone", "example.test");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("credential: validated", check.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("missing rule", check.Out, StringComparison.Ordinal);
    }
}
