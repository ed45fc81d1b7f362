using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Certfleet.Engine;
using Certfleet.Engine.Fleet;
using Certfleet.Inventory;
using Spectre.Console;

namespace Certfleet.Cli;

internal static class InventoryCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    internal static Command Create(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts" };
        var selectors = new Argument<string[]>("hosts") { Description = "HOST or @GROUP; all hosts when none", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("inventory",
            "Scan hosts over SSH: OS, web servers, TLS endpoints (file:line), served certificates and which configured certificate covers them. "
            + "Saves the snapshot to stateDir/inventory/latest.json (the one before becomes previous.json). Exit 0 when every host was scanned, 1 when a host failed.")
        {
            json, selectors,
        };
        Commands.Run(command, console, async (parse, runtime, ct) =>
        {
            var hosts = FleetOutput.Select(runtime, parse.GetValue(selectors) ?? []);
            var inventory = new FleetInventory(runtime);
            var report = await FleetOutput.WithProgressAsync(console, "scanning", hosts.Count, p => inventory.RunAsync(hosts, p, ct));
            var now = runtime.Time.GetUtcNow();
            if (parse.GetValue(json))
            {
                await console.Out.WriteLineAsync(ToJson(runtime, report));
            }
            else if (console.IsTerminal)
            {
                WriteTables(FleetOutput.Ansi(console), runtime, report.Scanned, now);
            }
            else
            {
                await console.Out.WriteAsync(Text(runtime, report.Scanned, now));
            }

            if (!parse.GetValue(json))
            {
                await console.Error.WriteLineAsync($"inventory: {report.Scanned.Count(h => h.Status == HostStatus.Ok)}/{report.Scanned.Count} host(s) scanned; snapshot saved to {report.SavedTo}");
            }

            return report.AllScanned ? ExitCodes.Success : ExitCodes.Failure;
        });

        var diff = new Command("diff", "Show what changed between the last two inventory snapshots") { json };
        Commands.Run(diff, console, async (parse, runtime, ct) =>
        {
            var (previous, latest) = await new FleetInventory(runtime).LoadAsync(ct);
            if (latest is null || previous is null)
            {
                throw new CertfleetException($"inventory: {(latest is null ? "no snapshot yet" : "only one snapshot")} in {Path.Combine(runtime.Settings.StateDir, "inventory")}; run 'certfleet inventory' {(latest is null ? "twice" : "again")}");
            }

            var changes = InventoryDiff.Compare(previous, latest);
            if (parse.GetValue(json))
            {
                await console.Out.WriteLineAsync(JsonSerializer.Serialize(new { from = previous.TakenAt, to = latest.TakenAt, changes }, Json));
                return ExitCodes.Success;
            }

            await console.Out.WriteLineAsync($"changes from {previous.TakenAt:yyyy-MM-dd HH:mm} to {latest.TakenAt:yyyy-MM-dd HH:mm} UTC:");
            foreach (var c in changes)
            {
                await console.Out.WriteLineAsync($"  {c.Description}");
            }

            if (changes.Count == 0)
            {
                await console.Out.WriteLineAsync("  none");
            }

            return ExitCodes.Success;
        });
        command.Subcommands.Add(diff);
        return command;
    }

    internal static string ToJson(CertfleetRuntime runtime, InventoryReport report)
    {
        var coverage = report.Scanned.SelectMany(h => h.WebServers.SelectMany(w => w.Endpoints.Select(e => new
        {
            host = h.Name,
            service = w.Server.Service,
            port = e.Config.Port,
            location = e.Config.Location.ToString(),
            certificate = FleetInventory.CoveringCertificate(runtime.Settings.Certificates, e),
        })));
        return JsonSerializer.Serialize(new { takenAt = report.Snapshot.TakenAt, savedTo = report.SavedTo, hosts = report.Scanned, coverage }, Json);
    }

    private static string Days(ServedCertificate s, DateTimeOffset now)
    {
        var days = (s.NotAfter - now).TotalDays;
        return days < 0 ? "EXPIRED" : days.ToString("0", CultureInfo.InvariantCulture);
    }

    private static string Os(HostInventory h) => h.Facts is { } f
        ? $"{f.Os.PrettyName ?? f.Os.Id} ({f.Os.Id} {f.Os.VersionId}, family {f.Os.Family.ToString().ToLowerInvariant()}), init {f.InitSystem}{(f.Systemd ? " (systemd)" : "")}, {f.PackageManager ?? "no package manager"}{(f.SeLinux is { } s ? $", SELinux {s}" : "")}"
        : "unknown";

    internal static string Text(CertfleetRuntime runtime, IReadOnlyList<HostInventory> hosts, DateTimeOffset now)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var h in hosts)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{h.Name} ({h.Address}:{h.Port})");
            if (h.Status == HostStatus.Failed)
            {
                sb.Append(CultureInfo.InvariantCulture, $": FAILED: {h.Failure!.Message}\n  fix: {h.Failure.Fix}\n");
                continue;
            }

            sb.Append(CultureInfo.InvariantCulture, $": {Os(h)}\n");
            if (h.WebServers.Count == 0)
            {
                sb.Append("  no web server found\n");
            }

            foreach (var w in h.WebServers)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  {w.Server.Service} {w.Server.Version ?? "(version unknown)"} ({(w.Server.Running ? "running" : "not running")}), config {w.Server.ConfigRoot}\n");
                foreach (var e in w.Endpoints)
                {
                    var c = e.Config;
                    sb.Append(CultureInfo.InvariantCulture, $"    :{c.Port} {(c.ServerNames.Count == 0 ? "(default)" : string.Join(", ", c.ServerNames))}  {c.Location}\n");
                    if (c.Keystore is { } ks)
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"      keystore {ks.File} ({ks.Type}, alias {ks.Alias ?? "-"}){(c.CertificateLocation is { } kl ? $" at {kl}" : "")}\n");
                    }

                    if (c.CertificateFile is not null)
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"      certificate {c.CertificateFile}{(c.CertificateLocation is { } cl ? $" at {cl}" : "")}, key {c.CertificateKeyFile ?? "-"}{(c.CertificateChainFile is { } ch ? $", chain {ch}" : "")}\n");
                    }

                    sb.Append(e.Served is { } s
                        ? string.Create(CultureInfo.InvariantCulture, $"      served {s.Subject} [{string.Join(", ", s.Names)}] issuer {s.Issuer}, serial {s.Serial}, until {s.NotAfter:yyyy-MM-dd}, days left {Days(s, now)}\n")
                        : $"      served: {e.ProbeError}\n");
                    sb.Append(CultureInfo.InvariantCulture, $"      covered by: {FleetInventory.CoveringCertificate(runtime.Settings.Certificates, e) ?? "no configured certificate"}\n");
                }
            }

            foreach (var f in h.Findings)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  finding: {f}\n");
            }
        }

        return sb.ToString();
    }

    private static void WriteTables(IAnsiConsole ansi, CertfleetRuntime runtime, IReadOnlyList<HostInventory> hosts, DateTimeOffset now)
    {
        foreach (var h in hosts)
        {
            if (h.Status == HostStatus.Failed)
            {
                ansi.MarkupLine($"[bold]{Markup.Escape(h.Name)}[/] ({Markup.Escape(h.Address)}:{h.Port}) [red]FAILED[/]: {Markup.Escape(h.Failure!.Message)}");
                ansi.MarkupLine($"  fix: {Markup.Escape(h.Failure.Fix)}");
                continue;
            }

            var table = new Table().Title($"{Markup.Escape(h.Name)} ({Markup.Escape(h.Address)}:{h.Port}) — {Markup.Escape(Os(h))}")
                .AddColumns("Web server", "Endpoint", "Configured (file:line)", "Served", "Days left", "Covered by");
            foreach (var w in h.WebServers)
            {
                var server = $"{w.Server.Service} {w.Server.Version}{(w.Server.Running ? "" : " (stopped)")}";
                if (w.Endpoints.Count == 0)
                {
                    table.AddRow(Markup.Escape(server), "-", "-", "-", "-", "-");
                }

                foreach (var e in w.Endpoints)
                {
                    var c = e.Config;
                    var configured = c.Keystore is { } ks ? $"{ks.File} ({ks.Type})" : c.CertificateFile ?? "-";
                    configured += $"\n{c.CertificateLocation ?? c.Location}";
                    var days = e.Served is { } s ? Days(s, now) : "-";
                    table.AddRow(
                        Markup.Escape(server),
                        Markup.Escape($":{c.Port} {string.Join(" ", c.ServerNames)}"),
                        Markup.Escape(configured),
                        Markup.Escape(e.Served is { } sv ? $"{sv.Subject}\nuntil {sv.NotAfter:yyyy-MM-dd}" : e.ProbeError ?? "-"),
                        days == "EXPIRED" ? "[red]EXPIRED[/]" : days,
                        Markup.Escape(FleetInventory.CoveringCertificate(runtime.Settings.Certificates, e) ?? "-"));
                }
            }

            ansi.Write(table);
            foreach (var f in h.Findings)
            {
                ansi.MarkupLine($"  [yellow]finding[/]: {Markup.Escape(f)}");
            }
        }
    }
}
