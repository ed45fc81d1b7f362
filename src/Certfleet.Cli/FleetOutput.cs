using Certfleet.Engine;
using Certfleet.Inventory;
using Certfleet.Remote;
using Spectre.Console;

namespace Certfleet.Cli;

/// <summary>Host selection and progress shared by the fleet commands (inventory, check, hosts).</summary>
internal static class FleetOutput
{
    public static IReadOnlyList<SshHost> Select(CertfleetRuntime runtime, IEnumerable<string> selectors)
    {
        var fleet = runtime.Settings.Fleet;
        if (fleet.Hosts.Count == 0)
        {
            throw new UsageException($"certfleet: no hosts in {runtime.Settings.File}; add them under hosts: or name an Ansible inventory under inventory.ansible");
        }

        var (hosts, errors) = HostSelector.Select(fleet, selectors);
        if (errors.Count > 0)
        {
            throw new UsageException(string.Join("\n", errors));
        }

        return hosts;
    }

    public static IAnsiConsole Ansi(CliConsole console) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(console.Out),
        Ansi = console.IsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = console.IsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = console.IsTerminal ? InteractionSupport.Detect : InteractionSupport.No,
    });

    /// <summary>Runs <paramref name="work"/> with a live status line on a terminal, one line per host on stderr otherwise.</summary>
    public static async Task<T> WithProgressAsync<T>(CliConsole console, string verb, int count, Func<IProgress<ScanProgress>, Task<T>> work)
    {
        if (!console.IsTerminal)
        {
            var lines = new LineProgress(console.Error, verb);
            return await work(lines);
        }

        T result = default!;
        await Ansi(console).Status().StartAsync($"{verb} {count} host(s)…", async ctx =>
        {
            var done = 0;
            var running = new HashSet<string>(StringComparer.Ordinal);
            var progress = new CallbackProgress(p =>
            {
                lock (running)
                {
                    if (p.Done)
                    {
                        done++;
                        running.Remove(p.Host);
                    }
                    else
                    {
                        running.Add(p.Host);
                    }

                    ctx.Status($"{verb}: {done}/{count} done; now {Markup.Escape(string.Join(", ", running))}");
                }
            });
            result = await work(progress);
        });
        return result;
    }

    private sealed class LineProgress(TextWriter error, string verb) : IProgress<ScanProgress>
    {
        public void Report(ScanProgress value)
        {
            lock (error)
            {
                error.WriteLine(value.Done ? $"{value.Host}: done" : $"{value.Host}: {verb}…");
            }
        }
    }

    private sealed class CallbackProgress(Action<ScanProgress> report) : IProgress<ScanProgress>
    {
        public void Report(ScanProgress value) => report(value);
    }
}
