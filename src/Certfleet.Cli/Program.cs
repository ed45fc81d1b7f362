namespace Certfleet.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        await Console.Out.WriteLineAsync("certfleet 0.1.0");
        return 0;
    }
}
