using System.Globalization;
using Certfleet.Lab;
using Certfleet.Store;

namespace Certfleet.IntegrationTests;

/// <summary>
/// The whole path on the lab: a real renewal from Pebble (DNS-01 through a real BIND for lab.test) that <c>renew</c>
/// deploys by itself, through the share to rocky9 and ubuntu24 and by push to debian12 and Tomcat.
/// </summary>
[Collection(LabFleetCollection.Name)]
public sealed class RenewDeployTests(LabHosts lab) : IAsyncLifetime
{
    private BindServer _bind = null!;
    private PebbleServer _pebble = null!;

    public async ValueTask InitializeAsync()
    {
        _bind = await BindServer.StartAsync(new BindServerOptions { Zones = ["lab.test"], LimitedKeyZones = [] });
        _pebble = await PebbleServer.StartAsync(new PebbleOptions { DnsServer = _bind.Endpoint, NonceRejectPercent = 10 });
    }

    public async ValueTask DisposeAsync()
    {
        await _pebble.DisposeAsync();
        await _bind.DisposeAsync();
    }

    [Fact]
    public async Task A_renewal_from_the_ca_is_deployed_by_renew_to_every_endpoint_through_the_share_and_by_push()
    {
        await using var d = new DeployLab(lab);
        var root = d.Workspace.Root;
        var tls = Path.Combine(root, "pebble-tls.pem");
        File.WriteAllText(tls, _pebble.TlsRootPem);
        var secret = Path.Combine(root, "lab-tsig.secret");
        File.WriteAllText(secret, _bind.TsigSecretBase64 + "\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        d.WriteConfig(d.Config(acmeAndDns: string.Create(CultureInfo.InvariantCulture, $"""
            acme:
              directory: {_pebble.DirectoryUri}
              email: ops@lab.test
              caBundle: {tls}
            dns:
              propagation:
                timeout: 30s
                nameservers: ["{_bind.Endpoint}"]
              providers:
                lab:
                  type: rfc2136
                  server: {_bind.Endpoint}
                  tsigKeyName: {_bind.TsigKeyName}
                  tsigAlgorithm: {_bind.TsigAlgorithm}
                  tsigSecret: file:{secret}
            """)));

        // First issuance and placement; then the operator points every server at the deployed files.
        var issued = await d.Workspace.RunAsync("issue", DeployLab.Name);
        Assert.True(issued.ExitCode == 0, issued.ToString());
        var placed = await d.DeployAsync(DeployLab.Name);
        Assert.True(placed.ExitCode == 0, placed.ToString());
        d.UseDeployedFiles();
        var store = new CertificateStore(d.StateDir);
        var first = (await store.GetCurrentAsync(DeployLab.Name, TestContext.Current.CancellationToken))!;

        // The renewal: a new order from the CA, stored, and deployed by renew itself, with no deploy command.
        var renewed = await d.Workspace.RunAsync("renew", "--force", DeployLab.Name);
        Assert.True(renewed.ExitCode == 0, renewed.ToString());
        var second = (await store.GetCurrentAsync(DeployLab.Name, TestContext.Current.CancellationToken))!;
        Assert.NotEqual(first.SerialNumber, second.SerialNumber);
        Assert.Equal(first.Version + 1, second.Version);

        var served = await d.WaitServedAsync((_, s) => s.Equals(second.SerialNumber, StringComparison.OrdinalIgnoreCase), TimeSpan.FromSeconds(20));
        Assert.All(served, kv => Assert.True(kv.Value.Equals(second.SerialNumber, StringComparison.OrdinalIgnoreCase),
            $"{kv.Key} serves {kv.Value}, not the renewed {second.SerialNumber}\n{renewed}"));
        Assert.True(renewed.Out.Contains($"{DeployLab.Name}:   deploy: deployed to 4 host(s)", StringComparison.Ordinal), renewed.ToString());

        // The run history has the renewal and each host's deployment.
        var history = await d.Workspace.RunAsync("history", DeployLab.Name, "--json");
        Assert.True(history.ExitCode == 0, history.ToString());
        foreach (var host in new[] { "debian12", "rocky9", "ubuntu24", "tomcat" })
        {
            Assert.Contains(host, history.Out, StringComparison.Ordinal);
        }
    }
}
