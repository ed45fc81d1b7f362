using System.CommandLine;
using Certfleet.Engine;
using Certfleet.Engine.Renewal;
using Microsoft.Extensions.DependencyInjection;

namespace Certfleet.Cli;

internal static class RenewCommand
{
    internal static Command Create(CliConsole console)
    {
        var names = new Argument<string[]>("NAME") { Description = "Certificates to consider (default: all configured)", Arity = ArgumentArity.ZeroOrMore };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan (certificate, due or not, when, why) and change nothing" };
        var force = new Option<string[]>("--force") { Description = "Renew this certificate now even if it is not due or is backing off (repeatable)", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var command = new Command("renew", "Renew the certificates that are due (ARI window or lifetime), one run at a time; exit 1 when one failed") { names, dryRun, force };
        command.SetAction(async (parse, ct) =>
        {
            using var services = CliHost.BuildServices(console, parse.GetValue(CliApplication.VerboseOption));
            using var runtime = CliHost.LoadRuntime(services, parse, console);
            var observer = new ConsoleObserver(console, runtime.Time);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var workflow = new RenewWorkflow(runtime, [.. services.GetServices<IPostIssueAction>(), new Certfleet.Engine.Deploy.DeployPostIssueAction(runtime, new Certfleet.Engine.Deploy.HistoryDeployRecorder(RenewWorkflow.CreateHistory(runtime)))], RenewWorkflow.CreateNotifier(runtime, http));
            var options = new RenewOptions(
                parse.GetValue(names) is { Length: > 0 } n ? n : null,
                parse.GetValue(force) is { Length: > 0 } f ? f : null,
                parse.GetValue(dryRun));
            var result = await workflow.RunAsync(options, observer, ct);
            return await PrintAsync(console, result, options.DryRun);
        });
        return command;
    }

    internal static async Task<int> PrintAsync(CliConsole console, RenewRunResult result, bool dryRun)
    {
        foreach (var warning in result.Warnings)
        {
            await console.Error.WriteLineAsync("warning: " + warning);
        }

        foreach (var c in result.Certificates)
        {
            var when = c.Decision.RenewAt is { } at ? $" {(at <= DateTimeOffset.UtcNow ? "since" : "at")} {at.UtcDateTime:yyyy-MM-dd HH:mm} UTC" : "";
            var line = c.Status switch
            {
                RenewStatus.WouldRenew => $"{c.Name}: due{when}: {c.Decision.Reason}",
                RenewStatus.NotDue => $"{c.Name}: not due: {c.Decision.Reason}",
                RenewStatus.BackedOff => $"{c.Name}: not now: {c.Decision.Reason}",
                RenewStatus.Renewed => $"{c.Name}: {c.Message}",
                _ => $"{c.Name}: FAILED: {c.Message}" + (c.BackoffUntil is { } b ? $" (next attempt after {b.UtcDateTime:yyyy-MM-dd HH:mm} UTC)" : ""),
            };
            await (c.Status == RenewStatus.Failed ? console.Error : console.Out).WriteLineAsync(line);
        }

        if (!dryRun)
        {
            await console.Out.WriteLineAsync($"renew: {result.Renewed} renewed, {result.Failed} failed, {result.Certificates.Count - result.Renewed - result.Failed} not due");
        }

        return result.Failed == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }
}
