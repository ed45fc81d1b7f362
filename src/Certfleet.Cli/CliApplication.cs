using System.CommandLine;
using System.Reflection;

namespace Certfleet.Cli;

/// <summary>Builds the command tree and runs one invocation; the single place that maps failures to exit codes.</summary>
internal static class CliApplication
{
    public static readonly Option<string?> ConfigOption = new("--config", "-c")
    {
        Description = "Configuration file (default: $CERTFLEET_CONFIG, ./certfleet.yaml, /etc/certfleet/certfleet.yaml)",
        Recursive = true,
    };

    public static readonly Option<bool> VerboseOption = new("--verbose", "-v")
    {
        Description = "Show debug logs on standard error",
        Recursive = true,
    };

    public static string Version =>
        typeof(CliApplication).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static RootCommand BuildRoot(CliConsole console)
    {
        var root = new RootCommand("certfleet: Let's Encrypt wildcard certificates for a fleet of web servers, issued over DNS-01 and kept renewed.");
        root.Options.Add(ConfigOption);
        root.Options.Add(VerboseOption);
        foreach (var command in Commands.All(console))
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliConsole console)
    {
        var root = BuildRoot(console);
        // @GROUP selects hosts: no response files.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0)
        {
            // One line: "no command given" adds nothing next to the unknown word that caused it.
            var messages = parse.Errors.Select(e => e.Message.TrimEnd('.')).Distinct(StringComparer.Ordinal).ToList();
            if (messages.Count > 1)
            {
                messages.RemoveAll(m => m.StartsWith("Required command was not provided", StringComparison.Ordinal));
            }

            await console.Error.WriteLineAsync($"certfleet: {string.Join("; ", messages)}; run 'certfleet {CommandPath(parse)}--help' for usage");

            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false };
        try
        {
            return await parse.InvokeAsync(invocation);
        }
        catch (Exception e)
        {
            var (code, message) = ErrorMapper.Map(e);
            await console.Error.WriteLineAsync(message);
            if (parse.GetValue(VerboseOption) && code == ExitCodes.Failure && ErrorMapper.IsUnexpected(e))
            {
                await console.Error.WriteLineAsync(e.ToString());
            }

            return code;
        }
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (r.Command is not RootCommand)
            {
                names.Insert(0, r.Command.Name);
            }
        }

        return names.Count == 0 ? "" : string.Join(' ', names) + " ";
    }
}
