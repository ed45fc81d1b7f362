using System.CommandLine;

namespace Certfleet.Cli;

/// <summary><c>certfleet help [COMMAND...]</c>: the same text as <c>certfleet COMMAND --help</c>.</summary>
internal static class HelpCommand
{
    internal static Command Create(CliConsole console)
    {
        var words = new Argument<string[]>("COMMAND") { Description = "The command to describe, e.g. 'account rollover'", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("help", "Show the help of a command (the CLI reference in docs/cli.md says the same)") { words };
        command.SetAction(async (parse, ct) =>
        {
            string[] args = [.. parse.GetValue(words) ?? [], "--help"];
            var root = CliApplication.BuildRoot(console);
            Command current = root;
            foreach (var word in args[..^1])
            {
                current = current.Subcommands.FirstOrDefault(c => c.Name == word || c.Aliases.Contains(word)) ?? root;
                if (current == root)
                {
                    break;
                }
            }

            var inner = root.Parse(args);
            if (inner.Errors.Count > 0 || (args.Length > 1 && current == root))
            {
                await console.Error.WriteLineAsync($"certfleet: no command '{string.Join(' ', args[..^1])}'; run 'certfleet --help' for the list");
                return ExitCodes.Usage;
            }

            return await inner.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error }, ct);
        });
        return command;
    }
}
