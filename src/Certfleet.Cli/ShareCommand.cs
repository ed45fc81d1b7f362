using System.CommandLine;
using Certfleet.Engine.Deploy;

namespace Certfleet.Cli;

/// <summary><c>certfleet share setup [--dry-run]</c>: the NFS export on this host and the mounts on the hosts.</summary>
internal static class ShareCommand
{
    internal static Command Create(CliConsole console)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan for the issuer and each host, change nothing" };
        var setup = new Command("setup", "Export share.exportPath read-only to the inventory hosts and mount it on each host that deploys through it") { dryRun };
        Commands.Run(setup, console, async (parse, runtime, ct) =>
        {
            var workflow = new ShareSetupWorkflow(runtime);
            var plan = await workflow.PlanAsync(ct);
            var o = console.Out;
            await o.WriteLineAsync($"issuer: export {plan.Issuer.ExportPath}");
            await o.WriteLineAsync($"  {plan.Issuer.ExportsFile}: {plan.Issuer.ExportsEntry}");
            foreach (var c in plan.Issuer.Commands)
            {
                await o.WriteLineAsync($"  $ {c}");
            }

            foreach (var host in plan.Hosts)
            {
                await o.WriteLineAsync($"{host.Host} ({host.Distribution}): mount at {host.MountPoint}");
                foreach (var p in host.Problems)
                {
                    await console.Error.WriteLineAsync($"  {p}");
                }

                foreach (var f in host.Files)
                {
                    await o.WriteLineAsync($"  {f.Path} ({f.Mode}):");
                    foreach (var line in f.Content.TrimEnd().Split('\n'))
                    {
                        await o.WriteLineAsync($"    {line}");
                    }
                }

                foreach (var c in host.Commands)
                {
                    await o.WriteLineAsync($"  $ {c}");
                }
            }

            if (parse.GetValue(dryRun))
            {
                return ExitCodes.Success;
            }

            var results = await workflow.ApplyAsync(plan, ct);
            foreach (var (host, ok, message) in results)
            {
                await (ok ? o : console.Error).WriteLineAsync($"{host}: {(ok ? "ok" : "failed")}: {message}");
            }

            return results.All(r => r.Ok) ? ExitCodes.Success : results.Any(r => r.Ok) ? ExitCodes.Partial : ExitCodes.Failure;
        });
        return new Command("share", "The NFS share the share deploy method uses") { setup };
    }
}
