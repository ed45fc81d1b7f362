using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace Certfleet.IntegrationTests;

public sealed partial class AccountAndRevokeTests(PebbleBindFixture lab) : IClassFixture<PebbleBindFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Certificates = """
          revoked:
            domains: [revoke.example.test]
            dnsProvider: lab
        """;

    [Fact]
    public async Task Account_register_show_rollover_and_deactivate()
    {
        using var ws = new LabWorkspace(lab);
        ws.WriteConfig(ws.Config(Certificates));

        var show = await ws.RunAsync("account", "show");
        Assert.Equal(1, show.ExitCode);
        Assert.Contains("certfleet account register", show.Error, StringComparison.Ordinal);

        var register = await ws.RunAsync("account", "register");
        Assert.True(register.ExitCode == 0, register.ToString());
        var accountKey = Directory.GetFiles(Path.Combine(ws.StateDir, "accounts"), "private_key.pem", SearchOption.AllDirectories).Single();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(accountKey));

        var before = await ws.RunAsync("account", "show");
        Assert.True(before.ExitCode == 0, before.ToString());
        Assert.Contains("status:    valid", before.Out, StringComparison.Ordinal);
        Assert.Contains("mailto:ops@example.test", before.Out, StringComparison.Ordinal);
        var thumbprint = Thumbprint().Match(before.Out).Groups[1].Value;

        var rollover = await ws.RunAsync("account", "rollover");
        Assert.True(rollover.ExitCode == 0, rollover.ToString());
        var after = await ws.RunAsync("account", "show");
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.NotEqual(thumbprint, Thumbprint().Match(after.Out).Groups[1].Value);
        Assert.Contains(Regex.Match(before.Out, "account: +(\\S+)").Groups[1].Value, after.Out, StringComparison.Ordinal);

        var refused = await ws.RunAsync("account", "deactivate");
        Assert.Equal(2, refused.ExitCode);
        var deactivate = await ws.RunAsync("account", "deactivate", "--yes");
        Assert.True(deactivate.ExitCode == 0, deactivate.ToString());
        Assert.Contains("deactivated", deactivate.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Revoke_by_account_key_or_certificate_key(bool withCertificateKey)
    {
        using var ws = new LabWorkspace(lab);
        ws.WriteConfig(ws.Config(Certificates));
        var issue = await ws.RunAsync("issue", "revoked");
        Assert.True(issue.ExitCode == 0, issue.ToString());
        using var leaf = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(ws.StateDir, "live", "revoked", "cert.pem")));
        Assert.Contains("Valid", await lab.Pebble.GetCertificateStatusAsync(leaf.SerialNumber, Ct), StringComparison.OrdinalIgnoreCase);

        string[] args = withCertificateKey ? ["revoke", "revoked", "--reason", "superseded", "--with-certificate-key"] : ["revoke", "revoked", "--reason", "keyCompromise"];
        var revoke = await ws.RunAsync(args);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.Contains("Revoked", await lab.Pebble.GetCertificateStatusAsync(leaf.SerialNumber, Ct), StringComparison.OrdinalIgnoreCase);

        var again = await ws.RunAsync("revoke", "revoked");
        Assert.Equal(1, again.ExitCode);
        Assert.StartsWith("acme: ", again.Error, StringComparison.Ordinal);
    }

    [GeneratedRegex("JWK thumbprint (\\S+)\\)")]
    private static partial Regex Thumbprint();
}
