namespace Certfleet.Cli;

/// <summary>Where the CLI writes: real streams in production, string writers in tests.</summary>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, bool IsTerminal, Func<string, string?> Environment)
{
    public static CliConsole System => new(
        Console.Out,
        Console.Error,
        !Console.IsOutputRedirected && global::System.Environment.GetEnvironmentVariable("TERM") is not (null or "dumb"),
        global::System.Environment.GetEnvironmentVariable);
}
