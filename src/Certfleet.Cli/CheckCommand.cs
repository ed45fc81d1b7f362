using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Certfleet.Engine.Fleet;
using Certfleet.WebServers.Checks;
using Spectre.Console;

namespace Certfleet.Cli;

internal static class CheckCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    internal static Command Create(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts" };
        var warningDays = new Option<int>("--warning-days") { Description = "Warn about certificates expiring within this many days", DefaultValueFactory = _ => 14 };
        var selectors = new Argument<string[]>("hosts") { Description = "HOST or @GROUP; all hosts when none", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("check",
            "Verify each web server's configuration: syntax, each TLS endpoint's files (key match, chain, expiry, names), the served certificate, "
            + "managed certificates, share mounts and posture. Read-only. Exit 1 when any error is found (or a host cannot be checked), 0 otherwise.")
        {
            json, warningDays, selectors,
        };
        Commands.Run(command, console, async (parse, runtime, ct) =>
        {
            var hosts = FleetOutput.Select(runtime, parse.GetValue(selectors) ?? []);
            var checker = await FleetChecker.CreateAsync(runtime, new ConfiguredDeploymentTargets(runtime.Settings), ct, TimeSpan.FromDays(Math.Max(0, parse.GetValue(warningDays))));
            var report = await FleetOutput.WithProgressAsync(console, "checking", hosts.Count, p => checker.CheckAsync(hosts, p, ct));
            if (parse.GetValue(json))
            {
                await console.Out.WriteLineAsync(ToJson(report));
            }
            else if (console.IsTerminal)
            {
                WriteTables(FleetOutput.Ansi(console), report);
            }
            else
            {
                await console.Out.WriteAsync(Text(report));
            }

            return report.HasErrors ? ExitCodes.Failure : ExitCodes.Success;
        });
        return command;
    }

    internal static string ToJson(FleetCheckReport report) => JsonSerializer.Serialize(new
    {
        checkedAt = report.CheckedAt,
        ok = !report.HasErrors,
        hosts = report.Hosts.Select(h => new
        {
            host = h.Host,
            reachable = h.Failure is null,
            errors = h.Findings.Count(f => f.Severity == CheckSeverity.Error),
            warnings = h.Findings.Count(f => f.Severity == CheckSeverity.Warning),
            webServers = h.WebServers.Select(w => new { service = w.Server.Service, version = w.Server.Version, syntaxOk = w.Syntax.Passed }),
        }),
        endpoints = report.Hosts.SelectMany(h => h.Served).Select(e => new
        {
            host = e.Host,
            webServer = e.WebServer,
            port = e.Port,
            sni = e.Sni,
            serial = e.Served?.Serial,
            notAfter = e.Served?.NotAfter,
            issuer = e.Served?.Issuer,
            error = e.Error,
            matchesConfigured = e.MatchesConfigured,
            certificate = e.Managed,
            current = e.IsCurrent,
        }),
        findings = report.Findings.Select(f => new
        {
            severity = f.Severity,
            code = f.Code,
            host = f.Host,
            webServer = f.WebServer,
            file = f.Location?.File,
            line = f.Location?.Line,
            message = f.Message,
            remediation = f.Remediation,
        }),
    }, Json);

    private static string Sev(CheckSeverity s) => s.ToString().ToLowerInvariant();

    internal static string Text(FleetCheckReport report)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var f in report.Findings.OrderBy(f => f.Host, StringComparer.Ordinal).ThenByDescending(f => f.Severity))
        {
            sb.Append(CultureInfo.InvariantCulture, $"{Sev(f.Severity),-7} {f.Host} {f.WebServer} {f.Location?.ToString() ?? "-"}: {f.Message}\n        fix: {f.Remediation}\n");
        }

        var served = report.Hosts.SelectMany(h => h.Served).ToList();
        if (served.Count > 0)
        {
            sb.Append("\nendpoint\tserver\tserved serial\texpires\tcertificate\n");
            foreach (var e in served)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{Endpoint(e)}\t{e.WebServer}\t{e.Served?.Serial ?? "-"}\t{e.Served?.NotAfter.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-"}\t{State(e)}\n");
            }
        }

        sb.Append("\nhost\terrors\twarnings\tinfo\n");
        foreach (var h in report.Hosts)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{h.Host}\t{Count(h, CheckSeverity.Error)}\t{Count(h, CheckSeverity.Warning)}\t{Count(h, CheckSeverity.Info)}{(h.Failure is null ? "" : "\tnot checked")}\n");
        }

        sb.Append(report.HasErrors ? "check: errors found\n" : "check: no errors\n");
        return sb.ToString();
    }

    private static int Count(HostCheck h, CheckSeverity s) => h.Findings.Count(f => f.Severity == s);

    private static string Endpoint(ServedEndpoint e) => $"{e.Host}:{e.Port}{(e.Sni is null ? "" : $" ({e.Sni})")}";

    /// <summary>ok when the endpoint serves its configured file and, if managed, the current version.</summary>
    private static string State(ServedEndpoint e) => e.Served is null
        ? $"not served: {e.Error}"
        : !e.MatchesConfigured
            ? "differs from its configured file"
            : e.Managed is null
                ? "ok (not managed)"
                : e.IsCurrent ? $"ok: {e.Managed}, current" : $"{e.Managed}, not the current version";

    private static void WriteTables(IAnsiConsole ansi, FleetCheckReport report)
    {
        var findings = new Table().AddColumns("Severity", "Host", "Server", "file:line", "Finding", "Fix");
        foreach (var f in report.Findings.OrderBy(f => f.Host, StringComparer.Ordinal).ThenByDescending(f => f.Severity))
        {
            var color = f.Severity switch { CheckSeverity.Error => "red", CheckSeverity.Warning => "yellow", _ => "grey" };
            findings.AddRow($"[{color}]{Sev(f.Severity)}[/]", Markup.Escape(f.Host), Markup.Escape(f.WebServer), Markup.Escape(f.Location?.ToString() ?? "-"), Markup.Escape(f.Message), Markup.Escape(f.Remediation));
        }

        if (findings.Rows.Count > 0)
        {
            ansi.Write(findings);
        }

        var summary = new Table().Title("Summary").AddColumns("Host", "Errors", "Warnings", "Info", "Status");
        foreach (var h in report.Hosts)
        {
            var errors = Count(h, CheckSeverity.Error);
            summary.AddRow(Markup.Escape(h.Host), errors.ToString(CultureInfo.InvariantCulture), Count(h, CheckSeverity.Warning).ToString(CultureInfo.InvariantCulture),
                Count(h, CheckSeverity.Info).ToString(CultureInfo.InvariantCulture), h.Failure is not null ? "[red]not checked[/]" : errors > 0 ? "[red]errors[/]" : "[green]ok[/]");
        }

        var served = report.Hosts.SelectMany(h => h.Served).ToList();
        if (served.Count > 0)
        {
            var endpoints = new Table().Title("Served certificates").AddColumns("Endpoint", "Server", "Serial", "Expires", "Certificate");
            foreach (var e in served)
            {
                var state = State(e);
                var color = state.StartsWith("ok", StringComparison.Ordinal) ? "green" : "red";
                endpoints.AddRow(Markup.Escape(Endpoint(e)), Markup.Escape(e.WebServer), Markup.Escape(e.Served?.Serial ?? "-"),
                    e.Served?.NotAfter.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-", $"[{color}]{Markup.Escape(state)}[/]");
            }

            ansi.Write(endpoints);
        }

        ansi.Write(summary);
    }
}
