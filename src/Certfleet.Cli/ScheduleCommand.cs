using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Certfleet.Engine;

namespace Certfleet.Cli;

/// <summary>Installs, shows and removes the periodic 'certfleet renew': a systemd timer or a cron entry.</summary>
internal static class ScheduleCommand
{
    internal const string UnitName = "certfleet-renew";
    internal const string SystemdDir = "/etc/systemd/system";
    internal const string CronFile = "/etc/cron.d/certfleet";

    internal static Command Create(CliConsole console)
    {
        var systemd = new Option<bool>("--systemd") { Description = "A systemd service and timer (default where systemd runs)" };
        var cron = new Option<bool>("--cron") { Description = "An entry in /etc/cron.d (default without systemd)" };
        var user = new Option<string?>("--user") { Description = "Run as this user (default: root); it must own stateDir" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the files instead of writing them" };

        var install = new Command("install", "Run 'certfleet renew' twice a day at a random time") { systemd, cron, user, dryRun };
        Commands.Run(install, console, async (parse, runtime, ct) =>
        {
            var kind = Kind(parse.GetValue(systemd), parse.GetValue(cron));
            var files = kind == "systemd"
                ? SystemdUnits(ExecStart(runtime.Settings.File), runtime.Settings.StateDir, parse.GetValue(user))
                : [(CronFile, CronEntry(ExecStart(runtime.Settings.File), parse.GetValue(user), Random.Shared))];
            if (parse.GetValue(dryRun))
            {
                foreach (var (path, content) in files)
                {
                    await console.Out.WriteLineAsync($"# {path}");
                    await console.Out.WriteAsync(content);
                    await console.Out.WriteLineAsync();
                }

                return ExitCodes.Success;
            }

            foreach (var (path, content) in files)
            {
                await File.WriteAllTextAsync(path, content, ct);
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                await console.Out.WriteLineAsync($"wrote {path}");
            }

            if (kind == "systemd")
            {
                await SystemctlAsync(console, ct, "daemon-reload");
                await SystemctlAsync(console, ct, "enable", "--now", UnitName + ".timer");
            }

            WarnIfTooRare(console, runtime);
            return ExitCodes.Success;
        });

        var show = new Command("show", "Print the installed schedule");
        Commands.Run(show, console, async (parse, runtime, ct) =>
        {
            var found = false;
            foreach (var path in InstalledFiles())
            {
                found = true;
                await console.Out.WriteLineAsync($"# {path}");
                await console.Out.WriteAsync(await File.ReadAllTextAsync(path, ct));
            }

            if (!found)
            {
                await console.Out.WriteLineAsync("no schedule installed; run 'certfleet schedule install'");
            }

            return ExitCodes.Success;
        });

        var remove = new Command("remove", "Remove the installed schedule");
        Commands.Run(remove, console, async (parse, runtime, ct) =>
        {
            var files = InstalledFiles().ToList();
            if (files.Any(f => f.StartsWith(SystemdDir, StringComparison.Ordinal)) && SystemdRuns())
            {
                await SystemctlAsync(console, ct, "disable", "--now", UnitName + ".timer");
            }

            foreach (var path in files)
            {
                File.Delete(path);
                await console.Out.WriteLineAsync($"removed {path}");
            }

            if (files.Count == 0)
            {
                await console.Out.WriteLineAsync("no schedule installed");
            }

            return ExitCodes.Success;
        });

        var command = new Command("schedule", "The periodic renewal: a systemd timer or a cron entry");
        command.Subcommands.Add(install);
        command.Subcommands.Add(show);
        command.Subcommands.Add(remove);
        return command;
    }

    /// <summary>systemd runs as PID 1 when /run/systemd/system exists (sd_booted(3)).</summary>
    internal static bool SystemdRuns() => Directory.Exists("/run/systemd/system");

    private static string Kind(bool systemd, bool cron) => (systemd, cron) switch
    {
        (true, true) => throw new UsageException("certfleet: choose one of --systemd and --cron"),
        (true, false) => "systemd",
        (false, true) => "cron",
        _ => SystemdRuns() ? "systemd" : "cron",
    };

    private static IEnumerable<string> InstalledFiles() =>
        new[] { Path.Combine(SystemdDir, UnitName + ".service"), Path.Combine(SystemdDir, UnitName + ".timer"), CronFile }.Where(File.Exists);

    /// <summary>The command that runs certfleet: the installed program, or dotnet with the assembly when run from a build.</summary>
    internal static string ExecStart(string configFile)
    {
        var config = Path.GetFullPath(configFile);
        var apphost = Path.Combine(AppContext.BaseDirectory, "certfleet");
        var program = File.Exists(apphost) ? apphost
            : Environment.ProcessPath is { } p && Path.GetFileName(p) == "dotnet" ? $"{p} {Path.Combine(AppContext.BaseDirectory, "Certfleet.Cli.dll")}"
            : Environment.ProcessPath ?? apphost;
        return $"{program} --config {config} renew";
    }

    internal static IReadOnlyList<(string Path, string Content)> SystemdUnits(string execStart, string stateDir, string? user)
    {
        var userLine = user is null ? "" : $"User={user}\n";
        var service = $"""
            [Unit]
            Description=certfleet: renew certificates that are due
            Wants=network-online.target
            After=network-online.target

            [Service]
            Type=oneshot
            {userLine}ExecStart={execStart}
            # Exit 1 means a certificate failed; it is reported and retried with back-off.
            SuccessExitStatus=0
            TimeoutStartSec=1h
            ProtectSystem=strict
            ReadWritePaths={stateDir}
            ProtectHome=read-only
            PrivateTmp=yes
            PrivateDevices=yes
            NoNewPrivileges=yes
            ProtectKernelTunables=yes
            ProtectKernelModules=yes
            ProtectKernelLogs=yes
            ProtectControlGroups=yes
            ProtectClock=yes
            ProtectHostname=yes
            RestrictSUIDSGID=yes
            RestrictRealtime=yes
            RestrictNamespaces=yes
            LockPersonality=yes
            RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
            UMask=0077

            """;
        var timer = """
            [Unit]
            Description=certfleet: renew certificates twice a day

            [Timer]
            OnCalendar=*-*-* 00,12:00:00
            RandomizedDelaySec=12h
            FixedRandomDelay=yes
            Persistent=true

            [Install]
            WantedBy=timers.target

            """;
        return [(Path.Combine(SystemdDir, UnitName + ".service"), service), (Path.Combine(SystemdDir, UnitName + ".timer"), timer)];
    }

    /// <summary>Twice a day at a random minute, twelve hours apart, so installations do not all call the CA at once.</summary>
    internal static string CronEntry(string execStart, string? user, Random random)
    {
        var minute = random.Next(60);
        var hour = random.Next(12);
        return string.Create(CultureInfo.InvariantCulture, $"""
            # certfleet: renew certificates that are due, twice a day
            SHELL=/bin/sh
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
            {minute} {hour},{hour + 12} * * * {user ?? "root"} {execStart} >/dev/null 2>&1

            """);
    }

    private static void WarnIfTooRare(CliConsole console, CertfleetRuntime runtime)
    {
        if (runtime.Settings.Renewal.CheckInterval < TimeSpan.FromHours(12))
        {
            console.Error.WriteLine($"warning: renewal.checkInterval is {Certfleet.Configuration.DurationParser.Format(runtime.Settings.Renewal.CheckInterval)} but the schedule runs every 12h; use 'certfleet run' for more frequent checks");
        }
    }

    private static async Task SystemctlAsync(CliConsole console, CancellationToken ct, params string[] args)
    {
        if (!SystemdRuns())
        {
            await console.Error.WriteLineAsync($"warning: systemd is not running here; run 'systemctl {string.Join(' ', args)}' where it is");
            return;
        }

        var info = new ProcessStartInfo("systemctl") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new CertfleetException("certfleet: cannot start systemctl");
        var error = await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new CertfleetException($"certfleet: systemctl {string.Join(' ', args)} failed: {error.Trim()}");
        }
    }
}
