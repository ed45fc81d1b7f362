using Certfleet.Configuration;

namespace Certfleet.Dns.Rfc2136;

/// <summary>Creates <c>type: rfc2136</c> providers.</summary>
public sealed class Rfc2136ProviderFactory : IDnsProviderFactory
{
    public string Type => Rfc2136Options.TypeName;

    public ConfigSectionSchema Schema => Rfc2136Options.Schema;

    public IDnsProvider? Create(string name, ConfigNode section, DnsProviderContext context)
    {
        var options = Rfc2136Options.Read(section);
        return options is null ? null : new Rfc2136Provider(name, options, context);
    }
}
