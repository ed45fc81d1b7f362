using System.CommandLine;
using System.Text.Json;
using Certfleet.Acme;
using Certfleet.Dns;
using Certfleet.Engine;
using Certfleet.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Certfleet.Cli;

internal static class AccountCommand
{
    internal static Command Create(CliConsole console)
    {
        var command = new Command("account", "Manage the ACME account of the configured directory");

        var show = new Command("show", "Show the account: URL, status, contacts, key");
        Commands.Run(show, console, async (parse, runtime, ct) =>
        {
            var client = await runtime.ConnectAsync(register: false, null, null, ct);
            var account = await client.GetAccountAsync(ct);
            await console.Out.WriteLineAsync($"directory: {runtime.Settings.Acme.Directory}");
            await console.Out.WriteLineAsync($"account:   {account.Url}");
            await console.Out.WriteLineAsync($"status:    {account.Status.ToString().ToLowerInvariant()}");
            await console.Out.WriteLineAsync($"contacts:  {(account.Contacts.Count == 0 ? "(none)" : string.Join(", ", account.Contacts))}");
            await console.Out.WriteLineAsync($"key:       {client.AccountKey.KeyType} (JWK thumbprint {client.AccountKey.Thumbprint})");
            return ExitCodes.Success;
        });

        var register = new Command("register", "Register an account (or find the stored one) and agree to the CA's terms of service");
        Commands.Run(register, console, async (parse, runtime, ct) =>
        {
            var client = await runtime.ConnectAsync(register: true, new ConsoleObserver(console, runtime.Time), "account", ct);
            var directory = await client.GetDirectoryAsync(ct);
            await console.Out.WriteLineAsync($"account: {client.AccountUrl}");
            if (directory.TermsOfService is { } tos)
            {
                await console.Out.WriteLineAsync($"terms of service: {tos}");
            }

            return ExitCodes.Success;
        });

        var rollover = new Command("rollover", "Replace the account key with a new one (RFC 8555 §7.3.5)");
        Commands.Run(rollover, console, async (parse, runtime, ct) =>
        {
            await using var runLock = await Commands.AcquireLockAsync(runtime, ct);
            var client = await runtime.ConnectAsync(register: false, null, null, ct);
            var stored = await runtime.Accounts.LoadAsync(runtime.Settings.Acme.Directory.ToString(), ct);
            var newKey = AcmeAccountKey.Generate(client.AccountKey.KeyType);
            await client.ChangeKeyAsync(newKey, ct);
            await runtime.Accounts.SaveAsync(stored! with { PrivateKeyPem = newKey.ExportPem() }, ct);
            await console.Out.WriteLineAsync($"account key replaced: new JWK thumbprint {newKey.Thumbprint}");
            return ExitCodes.Success;
        });

        var yes = new Option<bool>("--yes") { Description = "Confirm: a deactivated account can never be used again" };
        var deactivate = new Command("deactivate", "Deactivate the account for good (RFC 8555 §7.3.6)") { yes };
        Commands.Run(deactivate, console, async (parse, runtime, ct) =>
        {
            if (!parse.GetValue(yes))
            {
                throw new UsageException("certfleet: deactivation cannot be undone; run again with --yes to confirm");
            }

            var client = await runtime.ConnectAsync(register: false, null, null, ct);
            var account = await client.DeactivateAccountAsync(ct);
            await console.Out.WriteLineAsync($"account {account.Url} is {account.Status.ToString().ToLowerInvariant()}");
            return ExitCodes.Success;
        });

        command.Subcommands.Add(show);
        command.Subcommands.Add(register);
        command.Subcommands.Add(rollover);
        command.Subcommands.Add(deactivate);
        return command;
    }
}
