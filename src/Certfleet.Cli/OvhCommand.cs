using System.CommandLine;
using Certfleet.Configuration;
using Certfleet.Dns;
using Certfleet.Dns.Ovh;
using Certfleet.Engine;
using Microsoft.Extensions.DependencyInjection;

namespace Certfleet.Cli;

/// <summary><c>certfleet ovh credentials|check</c>: least-privilege consumer keys for the OVH provider.</summary>
internal static class OvhCommand
{
    internal static Command Create(CliConsole console)
    {
        var command = new Command("ovh", "Set up and check the OVH API credentials of an ovh DNS provider");
        command.Subcommands.Add(Credentials(console));
        command.Subcommands.Add(Check(console));
        return command;
    }

    private static Option<string?> ProviderOption() => new("--provider") { Description = "The ovh provider under dns.providers (default: the only one)" };

    private static Option<string[]> ZoneOption() => new("--zone")
    {
        Description = "A zone the key must manage (repeat for several; default: the provider's zone: or the zones of its certificates)",
        AllowMultipleArgumentsPerToken = false,
    };

    private static Command Credentials(CliConsole console)
    {
        var provider = ProviderOption();
        var zones = ZoneOption();
        var command = new Command("credentials", "Request a consumer key with only the rights certfleet needs, and print what to do with it") { provider, zones };
        command.SetAction(async (parse, ct) =>
        {
            using var services = CliHost.BuildServices(console, parse.GetValue(CliApplication.VerboseOption));
            var (name, options, zoneList) = Load(parse, console, parse.GetValue(provider), parse.GetValue(zones) ?? [], requireConsumerKey: false);
            using var service = new OvhCredentialService(options, services.GetRequiredService<DnsProviderContext>());
            var request = await service.RequestConsumerKeyAsync(zoneList, null, ct);
            await console.Out.WriteLineAsync($"A consumer key was requested for provider '{name}' on {string.Join(", ", zoneList)}, with these rules only:");
            foreach (var rule in request.Rules)
            {
                await console.Out.WriteLineAsync($"  {rule}");
            }

            await console.Out.WriteLineAsync();
            await console.Out.WriteLineAsync("1. Open this page, log in with the account that owns the zones, and choose the validity \"Unlimited\":");
            await console.Out.WriteLineAsync($"   {request.ValidationUrl}");
            await console.Out.WriteLineAsync("2. Store the consumer key where certfleet reads it, e.g. in /etc/certfleet/ovh-consumer-key (mode 0600):");
            await console.Out.WriteLineAsync($"   {request.ConsumerKey.Reveal()}");
            await console.Out.WriteLineAsync($"3. Reference it in dns.providers.{name}:");
            await console.Out.WriteLineAsync("   consumerKey: file:/etc/certfleet/ovh-consumer-key");
            await console.Out.WriteLineAsync("4. Run 'certfleet ovh check' once validated.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Check(CliConsole console)
    {
        var provider = ProviderOption();
        var zones = ZoneOption();
        var command = new Command("check", "Show the credential's status, expiry and rules, read each zone, and list missing rules") { provider, zones };
        command.SetAction(async (parse, ct) =>
        {
            using var services = CliHost.BuildServices(console, parse.GetValue(CliApplication.VerboseOption));
            var (name, options, zoneList) = Load(parse, console, parse.GetValue(provider), parse.GetValue(zones) ?? [], requireConsumerKey: true);
            using var service = new OvhCredentialService(options, services.GetRequiredService<DnsProviderContext>());
            var check = await service.CheckAsync(zoneList, ct);
            await console.Out.WriteLineAsync($"provider:   {name} ({options.BaseUrl})");
            await console.Out.WriteLineAsync($"credential: {check.Status}{(check.Expiration is { } e ? $", expires {e:yyyy-MM-dd HH:mm} UTC" : "")}");
            if (check.Error is not null)
            {
                await console.Out.WriteLineAsync($"error:      {check.Error}");
            }

            foreach (var zone in check.Zones)
            {
                await console.Out.WriteLineAsync(zone.Readable
                    ? $"zone {zone.Zone}: readable, nameservers {string.Join(", ", zone.NameServers)}"
                    : $"zone {zone.Zone}: NOT readable: {zone.Error}");
            }

            foreach (var rule in check.MissingRules)
            {
                await console.Out.WriteLineAsync($"missing rule: {rule}");
            }

            if (check.MissingRules.Count > 0)
            {
                await console.Out.WriteLineAsync("Request a new key with 'certfleet ovh credentials' to get every rule.");
            }

            await console.Out.WriteLineAsync(check.Ok ? "ok" : "NOT ok");
            return check.Ok ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>
    /// Reads only the provider's section: <c>credentials</c> must work before a consumer key exists,
    /// when the rest of the configuration would not validate yet.
    /// </summary>
    private static (string Name, OvhOptions Options, IReadOnlyList<string> Zones) Load(ParseResult parse, CliConsole console, string? providerName, string[] zones, bool requireConsumerKey)
    {
        var path = SettingsLoader.Locate(parse.GetValue(CliApplication.ConfigOption), console.Environment);
        var errors = new ConfigErrors();
        var root = ConfigNode.Load(path, errors, console.Environment);
        var dns = root.GetSection(SettingsSchema.Dns);
        var candidates = dns?.GetNamedSections(DnsOptions.ProvidersKey)
            .Where(p => p.Node.Peek("type") == "ovh")
            .ToList() ?? [];
        var chosen = providerName is null
            ? candidates.Count == 1 ? candidates[0] : throw new UsageException(candidates.Count == 0
                ? $"certfleet: {path} defines no provider of type ovh under dns.providers; add one (see docs/dns/ovh.md)"
                : $"certfleet: several ovh providers ({string.Join(", ", candidates.Select(c => c.Name))}); choose one with --provider")
            : candidates.FirstOrDefault(c => c.Name == providerName) is { Name: not null } found ? found
            : throw new UsageException($"certfleet: no ovh provider '{providerName}' under dns.providers in {path}");
        var options = OvhOptions.Read(chosen.Node, requireConsumerKey);
        errors.ThrowIfAny();
        IReadOnlyList<string> zoneList = zones.Length > 0 ? zones
            : options!.Zone is { } z ? [z]
            : CertificateZones(root, chosen.Name);
        if (zoneList.Count == 0)
        {
            throw new UsageException("certfleet: name the zones the key must manage with --zone ZONE");
        }

        return (chosen.Name, options!, zoneList);
    }

    /// <summary>The parent names of the certificates that use the provider: a guess refined by --zone.</summary>
    private static List<string> CertificateZones(ConfigNode root, string provider)
    {
        var zones = new List<string>();
        foreach (var (_, node) in root.GetNamedSections(SettingsSchema.Certificates))
        {
            if (node.Peek("dnsProvider") == provider)
            {
                foreach (var (value, _) in node.GetStringList(SettingsSchema.Domains))
                {
                    var labels = value.TrimStart('*', '.').Split('.');
                    var zone = labels.Length >= 2 ? string.Join('.', labels[^2..]) : value;
                    if (!zones.Contains(zone))
                    {
                        zones.Add(zone);
                    }
                }
            }
        }

        return zones;
    }
}
