namespace Certfleet.Cli.Tests;

public sealed class HelpTests
{
    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApplication.RunAsync(args, new CliConsole(stdout, stderr, false, _ => null));
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Help_command_prints_the_same_as_the_help_option()
    {
        var viaCommand = await RunAsync("help", "account", "rollover");
        var viaOption = await RunAsync("account", "rollover", "--help");
        Assert.Equal(0, viaCommand.Code);
        Assert.Equal(viaOption.Out, viaCommand.Out);
        Assert.Contains("Replace the account key", viaCommand.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_of_an_unknown_command_is_a_usage_error()
    {
        var run = await RunAsync("help", "frobnicate");
        Assert.Equal(2, run.Code);
        Assert.Contains("no command 'frobnicate'", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_options_are_usage_errors_with_exit_code_2()
    {
        var run = await RunAsync("status", "--frobnicate");
        Assert.Equal(2, run.Code);
        Assert.StartsWith("certfleet: ", run.Error, StringComparison.Ordinal);
        Assert.Contains("status --help", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_command_is_one_line_naming_it()
    {
        var run = await RunAsync("frobnicate");
        Assert.Equal(2, run.Code);
        Assert.Equal("certfleet: Unrecognized command or argument 'frobnicate'; run 'certfleet --help' for usage", run.Error.TrimEnd('\n'));
    }

    [Fact]
    public async Task Version_is_printed()
    {
        var run = await RunAsync("--version");
        Assert.Equal(0, run.Code);
        Assert.Matches(@"^\d+\.\d+\.\d+", run.Out.Trim());
    }

    [Fact]
    public void Every_command_has_a_description_for_the_reference()
    {
        var root = CliApplication.BuildRoot(new CliConsole(TextWriter.Null, TextWriter.Null, false, _ => null));
        var missing = new List<string>();
        void Walk(System.CommandLine.Command c, string path)
        {
            if (string.IsNullOrWhiteSpace(c.Description))
            {
                missing.Add(path);
            }

            foreach (var o in c.Options.Where(o => string.IsNullOrWhiteSpace(o.Description)))
            {
                missing.Add($"{path} {o.Name}");
            }

            foreach (var s in c.Subcommands)
            {
                Walk(s, $"{path} {s.Name}");
            }
        }

        Walk(root, "certfleet");
        Assert.Empty(missing);
    }
}
