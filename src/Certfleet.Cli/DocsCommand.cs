using System.CommandLine;
using System.Text.Json;
using Certfleet.Acme;
using Certfleet.Dns;
using Certfleet.Engine;
using Certfleet.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Certfleet.Cli;

internal static class DocsCommand
{
    internal static Command Create(CliConsole console)
    {
        var dir = new Argument<string>("DIR") { Description = "The docs folder to write configuration.md and cli.md into" };
        var generate = new Command("generate", "Write the generated references") { dir };
        generate.SetAction(async (parse, ct) =>
        {
            var target = parse.GetValue(dir)!;
            using var services = CliHost.BuildServices(console, false);
            await File.WriteAllTextAsync(Path.Combine(target, "configuration.md"), ConfigurationReference(services), ct);
            await File.WriteAllTextAsync(Path.Combine(target, "cli.md"), ReferenceDocs.Cli(CliApplication.BuildRoot(console)), ct);
            return ExitCodes.Success;
        });
        var command = new Command("docs", "Generate the reference documentation") { Hidden = true };
        command.Subcommands.Add(generate);
        return command;
    }

    internal static string ConfigurationReference(IServiceProvider services)
    {
        var registry = services.GetRequiredService<DnsProviderRegistry>();
        var sections = new List<Certfleet.Configuration.ConfigSectionSchema>();
        sections.AddRange(SettingsSchema.Sections);
        sections.AddRange(DnsOptions.Schemas);
        sections.AddRange(registry.ProviderSchemas);
        return ReferenceDocs.Configuration(sections);
    }
}
