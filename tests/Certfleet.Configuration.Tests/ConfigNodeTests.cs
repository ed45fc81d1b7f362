using Certfleet.Configuration;

namespace Certfleet.Configuration.Tests;

public sealed class ConfigNodeTests
{
    private static readonly ConfigKey Name = new("name", ConfigValueKind.String, "a name", Required: true);
    private static readonly ConfigKey Count = new("count", ConfigValueKind.Integer, "a count", Default: "3");
    private static readonly ConfigKey Wait = new("wait", ConfigValueKind.Duration, "a wait", Default: "2s");
    private static readonly ConfigKey Token = new("token", ConfigValueKind.Secret, "a secret");
    private static readonly ConfigKey Mode = new("mode", ConfigValueKind.String, "a mode", Default: "fast", Allowed: ["fast", "slow"]);
    private static readonly ConfigKey Items = new("items", ConfigValueKind.StringList, "some items");
    private static readonly ConfigSectionSchema Schema = new("", "root", [Name, Count, Wait, Token, Mode, Items]);

    private static (ConfigNode Node, ConfigErrors Errors) Parse(string yaml, Func<string, string?>? env = null)
    {
        var errors = new ConfigErrors();
        return (ConfigNode.Parse(yaml, "test.yaml", errors, env ?? (_ => null)), errors);
    }

    [Fact]
    public void Reads_values_and_defaults()
    {
        var (node, errors) = Parse("name: web\nwait: 1m30s\nitems: [a, b]\n");
        Assert.Equal("web", node.GetString(Name));
        Assert.Equal(3, node.GetInt(Count));
        Assert.Equal(TimeSpan.FromSeconds(90), node.GetDuration(Wait));
        Assert.Equal("fast", node.GetString(Mode));
        Assert.Equal(["a", "b"], node.GetStringList(Items).Select(i => i.Value));
        node.RejectUnknownKeys(Schema);
        Assert.False(errors.HasErrors);
    }

    [Fact]
    public void Reports_every_error_at_once_with_file_and_line()
    {
        var (node, errors) = Parse("count: many\nmode: turbo\nnmae: x\nwait: soon\n");
        node.GetString(Name);
        node.GetInt(Count);
        node.GetString(Mode);
        node.GetDuration(Wait);
        node.RejectUnknownKeys(Schema);
        var messages = errors.All.Select(e => e.ToString()).ToList();
        Assert.Contains(messages, m => m.StartsWith("test.yaml:1:", StringComparison.Ordinal) && m.Contains("whole number", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("test.yaml:2:", StringComparison.Ordinal) && m.Contains("not one of: fast, slow", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("test.yaml:3:", StringComparison.Ordinal) && m.Contains("did you mean 'name'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("test.yaml:4:", StringComparison.Ordinal) && m.Contains("duration", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("name is required", StringComparison.Ordinal));
        var ex = Assert.Throws<ConfigurationException>(errors.ThrowIfAny);
        Assert.StartsWith("config: 5 errors:", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wait: 1s\n", 1)]
    [InlineData("wait: 10m\n", 600)]
    [InlineData("other: 1\n", 2)]
    public void A_bounded_duration_inside_its_bounds_or_defaulted_reads_without_error(string yaml, int seconds)
    {
        var (node, errors) = Parse(yaml);
        Assert.Equal(TimeSpan.FromSeconds(seconds), node.GetDuration(Wait, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)));
        Assert.False(errors.HasErrors);
    }

    [Theory]
    [InlineData("wait: 500ms\n")]
    [InlineData("wait: 1h\n")]
    public void A_bounded_duration_outside_its_bounds_is_an_error_at_its_line(string yaml)
    {
        var (node, errors) = Parse("name: web\n" + yaml);
        Assert.Null(node.GetDuration(Wait, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)));
        var error = Assert.Single(errors.All).ToString();
        Assert.StartsWith("test.yaml:2:", error, StringComparison.Ordinal);
        Assert.Contains($"wait must be from 1s to 10m, not '{yaml[6..^1]}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_positive_duration_of_zero_is_an_error_at_its_line()
    {
        var (node, errors) = Parse("name: web\nwait: 0s\n");
        Assert.Null(node.GetPositiveDuration(Wait));
        var error = Assert.Single(errors.All).ToString();
        Assert.StartsWith("test.yaml:2:", error, StringComparison.Ordinal);
        Assert.Contains("wait: must be longer than zero", error, StringComparison.Ordinal);

        var (ok, okErrors) = Parse("wait: 1ms\n");
        Assert.Equal(TimeSpan.FromMilliseconds(1), ok.GetPositiveDuration(Wait));
        Assert.False(okErrors.HasErrors);
    }

    [Fact]
    public void Malformed_yaml_is_one_error_with_its_line()
    {
        var errors = new ConfigErrors();
        var ex = Assert.Throws<ConfigurationException>(() => ConfigNode.Parse("name: a\nitems: [a, b\nother: 1\n", "bad.yaml", errors));
        Assert.Single(ex.Errors);
        Assert.StartsWith("config: bad.yaml:", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Duplicate_keys_are_refused()
    {
        var errors = new ConfigErrors();
        var ex = Assert.Throws<ConfigurationException>(() => ConfigNode.Parse("name: a\nname: b\n", "dup.yaml", errors));
        Assert.Contains("duplicate key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Secrets_resolve_from_env_and_file_and_never_print_their_value()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "s3cret-from-file\n");
            var (node, errors) = Parse($"token: file:{path}\n");
            var secret = node.GetSecret(Token);
            Assert.False(errors.HasErrors);
            Assert.Equal("s3cret-from-file", secret!.Reveal());
            Assert.DoesNotContain("s3cret", secret.ToString(), StringComparison.Ordinal);

            var (envNode, envErrors) = Parse("token: env:MY_TOKEN\n", n => n == "MY_TOKEN" ? "from-env" : null);
            Assert.Equal("from-env", envNode.GetSecret(Token)!.Reveal());
            Assert.False(envErrors.HasErrors);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Missing_env_and_unreadable_file_are_errors_that_say_what_to_do()
    {
        var (node, errors) = Parse("token: env:NOT_SET_ANYWHERE\n");
        Assert.Null(node.GetSecret(Token));
        Assert.Contains("environment variable NOT_SET_ANYWHERE is not set", errors.All.Single().Message, StringComparison.Ordinal);

        var (fileNode, fileErrors) = Parse("token: file:/nonexistent/secret\n");
        Assert.Null(fileNode.GetSecret(Token));
        Assert.Contains("cannot read secret file /nonexistent/secret (not found)", fileErrors.All.Single().Message, StringComparison.Ordinal);
        Assert.Equal(1, fileErrors.All.Single().Location.Line);
    }

    [Theory]
    [InlineData("500ms", 0.5)]
    [InlineData("90s", 90)]
    [InlineData("10m", 600)]
    [InlineData("1h30m", 5400)]
    [InlineData("1d", 86400)]
    public void Durations_parse(string text, double seconds)
    {
        Assert.True(DurationParser.TryParse(text, out var value));
        Assert.Equal(seconds, value.TotalSeconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("ten minutes")]
    [InlineData("5w")]
    public void Bad_durations_are_refused(string text) => Assert.False(DurationParser.TryParse(text, out _));
}
