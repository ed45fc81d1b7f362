namespace Certfleet.Cli;

internal static class Program
{
    public static Task<int> Main(string[] args) => CliApplication.RunAsync(args, CliConsole.System);
}
