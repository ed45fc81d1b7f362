using System.CommandLine;
using Certfleet.Engine;
using Certfleet.Engine.Import;

namespace Certfleet.Cli;

internal static class ImportCommand
{
    internal static Command Create(CliConsole console)
    {
        var dir = new Argument<string>("DIR")
        {
            Description = $"certbot's configuration directory (default: {CertbotImporter.DefaultDirectory})",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var name = new Option<string[]>("--name")
        {
            Description = "Lineage to import (repeatable; default: every lineage under DIR/live)",
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = false,
        };
        var certbot = new Command("certbot", "Take over certbot lineages (live/NAME and renewal/NAME.conf) so renewal continues without a new order") { dir, name };
        Commands.Run(certbot, console, async (parse, runtime, ct) =>
        {
            var directory = parse.GetValue(dir) ?? CertbotImporter.DefaultDirectory;
            var names = parse.GetValue(name) is { Length: > 0 } n ? n : [.. CertbotImporter.ListLineages(directory)];
            if (names.Length == 0)
            {
                throw new UsageException($"import: no lineage under {Path.Combine(directory, "live")}; nothing to import");
            }

            // A single configured provider is the obvious choice for the printed entry; otherwise the operator picks.
            var provider = runtime.Settings.Dns.Providers.Count == 1 ? runtime.Settings.Dns.Providers.Keys.Single() : null;
            await using var runLock = await Commands.AcquireLockAsync(runtime, ct);
            var importer = new CertbotImporter(runtime.Store);
            var missing = new List<CertbotLineage>();
            foreach (var lineage in names)
            {
                var result = await importer.ImportAsync(directory, lineage, ct);
                var stored = result.Stored;
                await console.Out.WriteLineAsync(result.AlreadyImported
                    ? $"{lineage}: already imported (serial {stored.SerialNumber}, version {stored.Version})"
                    : $"{lineage}: imported as version {stored.Version}: serial {stored.SerialNumber}, valid until {stored.NotAfter:yyyy-MM-dd HH:mm} UTC");
                await console.Out.WriteLineAsync($"  {stored.LiveFiles.FullChain}");
                foreach (var note in result.Lineage.Notes)
                {
                    await console.Out.WriteLineAsync($"  note: {note}");
                }

                if (result.Lineage.Server is { } server && !string.Equals(server.TrimEnd('/'), runtime.Settings.Acme.Directory.ToString().TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
                {
                    await console.Out.WriteLineAsync($"  note: certbot used {server}; certfleet is configured for {runtime.Settings.Acme.Directory}");
                }

                if (runtime.Settings.Find(lineage) is null)
                {
                    missing.Add(result.Lineage);
                }
            }

            if (missing.Count > 0)
            {
                await console.Out.WriteLineAsync($"\nAdd to {runtime.Settings.File}:\n");
                await console.Out.WriteAsync(string.Concat(missing.Select(m => CertbotImporter.ConfigurationEntry(m, provider))).Replace("\ncertificates:\n", "\n", StringComparison.Ordinal));
                await console.Out.WriteLineAsync("\nThen disable certbot's own renewal (systemctl disable --now certbot.timer, or its cron entry) so the two do not both renew.");
            }

            return ExitCodes.Success;
        });
        var command = new Command("import", "Take over certificates managed by another ACME client");
        command.Subcommands.Add(certbot);
        return command;
    }
}
