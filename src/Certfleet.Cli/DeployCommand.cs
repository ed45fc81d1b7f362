using System.CommandLine;
using Certfleet.Deployment;
using Certfleet.Engine;
using Certfleet.Engine.Deploy;

namespace Certfleet.Cli;

/// <summary>
/// <c>certfleet deploy [NAME] [--hosts …] [--dry-run]</c>. Exit codes: 0 every host serves the current version,
/// 1 no host succeeded (or a canary failed before any other host was tried), 3 some hosts succeeded and others failed.
/// </summary>
internal static class DeployCommand
{
    internal static Command Create(CliConsole console)
    {
        var name = new Argument<string[]>("NAME") { Description = "Certificates to deploy (default: every certificate with deploy: targets)", Arity = ArgumentArity.ZeroOrMore };
        var hosts = new Option<string[]>("--hosts") { Description = "Only these hosts or @groups", AllowMultipleArgumentsPerToken = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show the plan (host, method, files, services, reload command) and change nothing" };
        var command = new Command("deploy", "Deploy the current certificates to their hosts: place files, test, reload, verify, roll back on failure") { name, hosts, dryRun };
        Commands.Run(command, console, async (parse, runtime, ct) =>
        {
            var workflow = new DeployWorkflow(runtime, new HistoryDeployRecorder(Certfleet.Engine.Renewal.RenewWorkflow.CreateHistory(runtime)));
            var names = parse.GetValue(name) is { Length: > 0 } n ? n : [.. workflow.Deployable];
            if (names.Length == 0)
            {
                throw new UsageException($"deploy: no certificate in {runtime.Settings.File} has deploy: targets");
            }

            var selection = (parse.GetValue(hosts) ?? []).SelectMany(h => h.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            var observer = new DeployConsoleObserver(console);
            if (parse.GetValue(dryRun))
            {
                foreach (var certificate in names)
                {
                    await console.Out.WriteLineAsync($"{certificate}: plan");
                    await workflow.PlanAsync(certificate, selection, observer, ct);
                }

                return ExitCodes.Success;
            }

            await using var runLock = await Commands.AcquireLockAsync(runtime, ct);
            var all = new List<HostDeployResult>();
            foreach (var certificate in names)
            {
                var report = await workflow.DeployAsync(certificate, selection, observer, ct);
                all.AddRange(report.Hosts);
                var ok = report.Hosts.Count(h => h.Succeeded);
                await console.Out.WriteLineAsync($"{certificate}: serial {report.Serial}: {ok} of {report.Hosts.Count} host(s) done{(report.StoppedByCanary ? "; the canary failed, the rollout stopped" : "")}");
                foreach (var group in report.Hosts.GroupBy(h => h.Outcome))
                {
                    await console.Out.WriteLineAsync($"  {group.Key}: {string.Join(", ", group.Select(h => h.Host))}");
                }
            }

            return ExitCode(all);
        });
        return command;
    }

    internal static int ExitCode(IReadOnlyList<HostDeployResult> results) =>
        results.All(r => r.Succeeded) ? ExitCodes.Success : results.Any(r => r.Succeeded) ? ExitCodes.Partial : ExitCodes.Failure;

    private sealed class DeployConsoleObserver(CliConsole console) : IDeployObserver
    {
        private readonly Lock _lock = new();

        public void Planned(HostPlan plan) => Write(
            $"  {plan.Host}: {plan.Method.ToString().ToLowerInvariant()} to {plan.Directory} [{string.Join(", ", plan.Files)}]; services: {(plan.Services.Count == 0 ? "none" : string.Join(", ", plan.Services))}; test: {(plan.ConfigTests.Count == 0 ? "-" : string.Join("; ", plan.ConfigTests))}; reload: {(plan.Reloads.Count == 0 ? "-" : string.Join("; ", plan.Reloads))}");

        public void HostStarted(string host, string target) => Write($"{host}: deploying");

        public void Step(string host, string message) => Write($"{host}: {message}");

        public void HostFinished(HostDeployResult result) =>
            Write($"{result.Host}: {result.Outcome}: {result.Message}", error: !result.Succeeded);

        private void Write(string line, bool error = false)
        {
            lock (_lock)
            {
                (error ? console.Error : console.Out).WriteLine(line);
            }
        }
    }
}
