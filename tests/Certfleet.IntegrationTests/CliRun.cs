using System.Diagnostics;
using Certfleet.Cli;

namespace Certfleet.IntegrationTests;

/// <summary>One invocation of the CLI: exit code and what it printed.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";

    internal static async Task<CliRun> InProcessAsync(string[] args, Func<string, string?>? environment = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var console = new CliConsole(stdout, stderr, IsTerminal: false, environment ?? Environment.GetEnvironmentVariable);
        var code = await CliApplication.RunAsync(args, console);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The CLI as its own process, for tests that kill it.</summary>
    internal static Process Start(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Certfleet.Cli.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("could not start certfleet");
    }
}
