using System.CommandLine;
using System.Text.Json;
using Certfleet.Acme;
using Certfleet.Dns;
using Certfleet.Engine;
using Certfleet.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Certfleet.Cli;

internal static class Commands
{
    public static IEnumerable<Command> All(CliConsole console) =>
    [
        IssueCommand.Create(console),
        StatusCommand.Create(console),
        AccountCommand.Create(console),
        RevokeCommand.Create(console),
        InventoryCommand.Create(console),
        HostsCommand.Create(console),
        CheckCommand.Create(console),
        RenewCommand.Create(console),
        ScheduleCommand.Create(console),
        RunCommand.Create(console),
        HistoryCommand.Create(console),
        NotifyCommand.Create(console),
        ImportCommand.Create(console),
        DeployCommand.Create(console),
        ShareCommand.Create(console),
        DocsCommand.Create(console),
        OvhCommand.Create(console),
        HelpCommand.Create(console),
    ];

    /// <summary>Runs an action with the services and the loaded configuration; errors go to the top-level handler.</summary>
    internal static void Run(Command command, CliConsole console, Func<ParseResult, CertfleetRuntime, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var services = CliHost.BuildServices(console, parse.GetValue(CliApplication.VerboseOption));
            using var runtime = CliHost.LoadRuntime(services, parse, console);
            return await action(parse, runtime, cancellationToken);
        });

    internal static CertificateSettings Certificate(CertfleetRuntime runtime, string name) =>
        runtime.Settings.Find(name) ?? throw new UsageException(runtime.Settings.Certificates.Count == 0
            ? $"certfleet: no certificate '{name}' in {runtime.Settings.File}; add it under certificates:"
            : $"certfleet: no certificate '{name}' in {runtime.Settings.File}; configured: {string.Join(", ", runtime.Settings.Certificates.Select(c => c.Name))}");

    internal static async Task<RunLock> AcquireLockAsync(CertfleetRuntime runtime, CancellationToken ct)
    {
        var result = await RunLock.TryAcquireAsync(runtime.Settings.StateDir, runtime.Time, ct);
        return result.Lock ?? throw new CertfleetException($"certfleet: {result.Describe()}; wait for it to finish");
    }
}
