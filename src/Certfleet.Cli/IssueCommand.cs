using System.CommandLine;
using System.Text.Json;
using Certfleet.Acme;
using Certfleet.Dns;
using Certfleet.Engine;
using Certfleet.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Certfleet.Cli;

internal static class IssueCommand
{
    internal static Command Create(CliConsole console)
    {
        var name = new Argument<string[]>("NAME") { Description = "Certificates to obtain now (default: all configured)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("issue", "Obtain certificates now, whether or not they are due") { name };
        Commands.Run(command, console, async (parse, runtime, ct) =>
        {
            var names = parse.GetValue(name) is { Length: > 0 } n ? n : runtime.Settings.Certificates.Select(c => c.Name).ToArray();
            var certificates = names.Select(x => Commands.Certificate(runtime, x)).ToList();
            var observer = new ConsoleObserver(console, runtime.Time);

            // Reach the CA before touching stateDir: an unreachable directory changes nothing.
            await runtime.ProbeDirectoryAsync(ct);
            await runtime.PreflightDnsAsync(certificates, ct);
            await using var runLock = await Commands.AcquireLockAsync(runtime, ct);
            var workflow = new IssueWorkflow(runtime, Certfleet.Engine.Renewal.RenewWorkflow.CreateHistory(runtime));
            await workflow.SweepAsync(observer, ct);
            var failed = 0;
            foreach (var certificate in certificates)
            {
                try
                {
                    var result = await workflow.IssueAsync(certificate, observer, replaces: null, ct);
                    await console.Out.WriteLineAsync($"{result.Name}: {result.Certificate.LiveFiles.FullChain}");
                }
                catch (Exception e) when (certificates.Count > 1 && e is not OperationCanceledException)
                {
                    // One failing certificate must not keep the others from being issued.
                    failed++;
                    await console.Error.WriteLineAsync(ErrorMapper.Map(e).Message);
                }
            }

            return failed == 0 ? ExitCodes.Success : failed == certificates.Count ? ExitCodes.Failure : ExitCodes.Partial;
        });
        return command;
    }
}
