using Certfleet.Configuration;
using Microsoft.Extensions.Logging;

namespace Certfleet.Dns.Ovh;

/// <summary>Creates <c>type: ovh</c> providers.</summary>
public sealed class OvhProviderFactory : IDnsProviderFactory
{
    public string Type => "ovh";

    public ConfigSectionSchema Schema => OvhOptions.Schema;

    public IDnsProvider? Create(string name, ConfigNode section, DnsProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = OvhOptions.Read(section);
        return options is null ? null : Create(name, options, context);
    }

    /// <summary>A provider from options already validated (used by tests and the CLI).</summary>
    public static IDnsProvider Create(string name, OvhOptions options, DnsProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var api = new OvhApiClient(options, context.HttpHandlerFactory?.Invoke(), context.TimeProvider, context.LoggerFactory.CreateLogger<OvhApiClient>());
        return new OvhProvider(name, options, api, context.LoggerFactory.CreateLogger<OvhProvider>());
    }
}
