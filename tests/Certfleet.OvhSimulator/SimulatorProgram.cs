using System.Globalization;

namespace Certfleet.OvhSimulator;

/// <summary>
/// Command line: <c>--urls URL --bind HOST:PORT --tsig-key-file FILE --config FILE.json --delay 5s
/// --failure-rate 0.2 --clock-skew 300s --time-window 30s --seed N --app KEY:SECRET --consumer-key CK
/// --zone NAME</c> (the last three repeatable or combined with --config; a --consumer-key given here is
/// validated and may call everything). Runs until Ctrl+C or SIGTERM.
/// </summary>
public static class SimulatorProgram
{
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        SimulatorOptions options;
        try
        {
            options = Parse(args);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync("sim: " + e.Message).ConfigureAwait(false);
            return 2;
        }

        await using var simulator = new OvhSimulator(options);
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
        await simulator.StartAsync(stop.Token).ConfigureAwait(false);
        await Console.Out.WriteLineAsync($"sim: listening on {simulator.BaseUrl}").ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // normal shutdown
        }

        await simulator.StopAsync().ConfigureAwait(false);
        return 0;
    }

    public static SimulatorOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new SimulatorOptions();
        var apps = new List<(string Key, string Secret)>();
        var consumerKeys = new List<string>();
        var zones = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--config": options = SimulatorOptions.Load(Next()) with { }; break;
                case "--urls": options = options with { Url = Next().Split(';')[0] }; break;
                case "--bind": options = options with { BindServer = Next() }; break;
                case "--tsig-key-file": options = options with { TsigKeyFile = Next() }; break;
                case "--delay": options = options with { PublicationDelay = Duration(Next()) }; break;
                case "--failure-rate": options = options with { FailureRate = double.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--clock-skew": options = options with { ClockSkew = Duration(Next()) }; break;
                case "--time-window": options = options with { TimeWindow = Duration(Next()) }; break;
                case "--seed": options = options with { Seed = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--app":
                    var kv = Next().Split(':', 2);
                    apps.Add(kv.Length == 2 ? (kv[0], kv[1]) : throw new FormatException("--app takes KEY:SECRET"));
                    break;
                case "--consumer-key": consumerKeys.Add(Next()); break;
                case "--zone": zones.Add(Next()); break;
                default: throw new FormatException($"unknown option {args[i]}");
            }
        }

        if (apps.Count > 0)
        {
            var all = new List<SimRule> { new("GET", "/*"), new("POST", "/*"), new("PUT", "/*"), new("DELETE", "/*") };
            options = options with
            {
                Applications = [.. options.Applications, .. apps.Select((a, n) => new SimApplication(a.Key, a.Secret,
                    n == 0 ? [.. consumerKeys.Select(ck => new SimConsumerKey(ck, "validated", all))] : []))],
            };
        }

        if (zones.Count > 0)
        {
            options = options with { Zones = [.. options.Zones, .. zones.Select(z => new SimZone(z))] };
        }

        return options;
    }

    /// <summary>500ms, 5s, 2m, 1h, or plain seconds; a leading '-' for a clock behind.</summary>
    public static TimeSpan Duration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var negative = text.StartsWith('-');
        var t = negative ? text[1..] : text;
        TimeSpan value = t switch
        {
            _ when t.EndsWith("ms", StringComparison.Ordinal) => TimeSpan.FromMilliseconds(double.Parse(t[..^2], CultureInfo.InvariantCulture)),
            _ when t.EndsWith('s') => TimeSpan.FromSeconds(double.Parse(t[..^1], CultureInfo.InvariantCulture)),
            _ when t.EndsWith('m') => TimeSpan.FromMinutes(double.Parse(t[..^1], CultureInfo.InvariantCulture)),
            _ when t.EndsWith('h') => TimeSpan.FromHours(double.Parse(t[..^1], CultureInfo.InvariantCulture)),
            _ when double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) => TimeSpan.FromSeconds(s),
            _ => throw new FormatException($"'{text}' is not a duration (500ms, 5s, 2m)"),
        };
        return negative ? -value : value;
    }
}
