namespace Certfleet.IntegrationTests;

/// <summary>Bad input: one clear line, the documented exit code, and nothing written.</summary>
public sealed class BadInputTests(PebbleBindFixture lab) : IClassFixture<PebbleBindFixture>
{
    private const string Good = """
          example:
            domains: [example.test, "*.example.test"]
            dnsProvider: lab
        """;

    public static TheoryData<string, string, string> ConfigErrors => new()
    {
        { "malformed YAML", "certificates:\n  example: [unclosed\n", "invalid YAML" },
        { "unknown key", "certificates:\n  example:\n    domains: [example.test]\n    dnsProvider: lab\n    keyTyp: ec-p256\n", "unknown key 'keyTyp' in certificates.example; did you mean 'keyType'?" },
        { "missing env", "certificates:\n  example:\n    domains: [example.test]\n    dnsProvider: lab\n", "environment variable CERTFLEET_TEST_UNSET is not set" },
        { "double wildcard", "certificates:\n  example:\n    domains: [\"*.*.example.com\"]\n    dnsProvider: lab\n", "*.*.example.com" },
        { "space in name", "certificates:\n  example:\n    domains: [\"exa mple.com\"]\n    dnsProvider: lab\n", "exa mple.com" },
        { "leading hyphen", "certificates:\n  example:\n    domains: [-x.example.com]\n    dnsProvider: lab\n", "-x.example.com" },
        { "254 characters", "certificates:\n  example:\n    domains: [" + string.Join('.', Enumerable.Repeat(new string('a', 62), 4)) + ".com]\n    dnsProvider: lab\n", "253" },
        { "rsa-1024", "certificates:\n  example:\n    domains: [example.test]\n    dnsProvider: lab\n    keyType: rsa-1024\n", "'rsa-1024' is not one of" },
    };

    [Theory]
    [MemberData(nameof(ConfigErrors))]
    public async Task Configuration_errors_exit_2_with_a_located_message_and_leave_state_untouched(string label, string certificates, string expected)
    {
        using var ws = new LabWorkspace(lab);
        var config = ws.Config("  placeholder: {}\n").Replace("certificates:\n  placeholder: {}\n", certificates, StringComparison.Ordinal);
        if (label == "missing env")
        {
            config = config.Replace("tsigSecret: file:" + ws.TsigSecretFile, "tsigSecret: env:CERTFLEET_TEST_UNSET", StringComparison.Ordinal);
        }

        ws.WriteConfig(config);
        var run = await ws.RunAsync("issue");
        Assert.True(run.ExitCode == 2, label + ": " + run);
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
        Assert.Contains(ws.ConfigPath + ":", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Out);
        Assert.False(Directory.Exists(ws.StateDir), label + ": stateDir was created");
    }

    [Fact]
    public async Task An_unreadable_secret_file_is_a_configuration_error()
    {
        using var ws = new LabWorkspace(lab);
        ws.WriteConfig(ws.Config(Good).Replace("file:" + ws.TsigSecretFile, "file:" + ws.TsigSecretFile + ".missing", StringComparison.Ordinal));
        var run = await ws.RunAsync("issue", "example");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("cannot read secret file", run.Error, StringComparison.Ordinal);
        Assert.Single(run.Error.Trim().Split('\n'));
        Assert.False(Directory.Exists(ws.StateDir));
    }

    [Fact]
    public async Task Every_error_of_a_file_is_reported_at_once()
    {
        using var ws = new LabWorkspace(lab);
        ws.WriteConfig(ws.Config("""
              example:
                domains: ["*.*.example.test"]
                dnsProvider: nowhere
                keyType: rsa-1024
            """));
        var run = await ws.RunAsync("issue", "example");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("3 errors", run.Error, StringComparison.Ordinal);
        Assert.Contains("'nowhere' is not defined", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_directory_exits_1_and_changes_nothing()
    {
        using var ws = new LabWorkspace(lab);
        ws.WriteConfig(ws.Config(Good).Replace(lab.Pebble.DirectoryUri.ToString(), "https://127.0.0.1:9/dir", StringComparison.Ordinal));
        var run = await ws.RunAsync("issue", "example");
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.StartsWith("acme: ", run.Error, StringComparison.Ordinal);
        Assert.Contains("https://127.0.0.1:9/dir", run.Error, StringComparison.Ordinal);
        Assert.Single(run.Error.Trim().Split('\n'));
        Assert.False(Directory.Exists(ws.StateDir));
    }

    [Fact]
    public async Task A_wrong_tsig_secret_says_badsig_and_leaves_state_and_zone_untouched()
    {
        using var ws = new LabWorkspace(lab);
        ws.WriteConfig(ws.Config(Good, tsigSecret: Convert.ToBase64String(new byte[32])));
        var run = await ws.RunAsync("issue", "example");
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("BADSIG", run.Error, StringComparison.Ordinal);
        Assert.Single(run.Error.Trim().Split('\n'));
        Assert.False(Directory.Exists(ws.StateDir), "the preflight runs before stateDir is touched");
        Assert.False(Directory.Exists(Path.Combine(ws.StateDir, "live")));
        Assert.False(Directory.Exists(Path.Combine(ws.StateDir, "archive")));
        Assert.Empty(Directory.Exists(Path.Combine(ws.StateDir, "pending")) ? Directory.GetFiles(Path.Combine(ws.StateDir, "pending")) : []);
        Assert.Empty(await lab.Bind.QueryTxtAsync("_acme-challenge.example.test", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Usage_errors_exit_2()
    {
        using var ws = new LabWorkspace(lab);
        ws.WriteConfig(ws.Config(Good));
        var unknownCommand = await ws.RunAsync("isue");
        Assert.Equal(2, unknownCommand.ExitCode);
        var unknownCertificate = await ws.RunAsync("issue", "nope");
        Assert.Equal(2, unknownCertificate.ExitCode);
        Assert.Contains("no certificate 'nope'", unknownCertificate.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(ws.StateDir));
    }
}
