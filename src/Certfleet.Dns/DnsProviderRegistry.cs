using Certfleet.Configuration;

namespace Certfleet.Dns;

/// <summary>
/// The provider factories registered in DI, looked up by the <c>type:</c> of each <c>dns.providers</c> entry.
/// </summary>
public sealed class DnsProviderRegistry
{
    private readonly Dictionary<string, IDnsProviderFactory> _factories;

    public DnsProviderRegistry(IEnumerable<IDnsProviderFactory> factories)
    {
        _factories = new Dictionary<string, IDnsProviderFactory>(StringComparer.Ordinal);
        foreach (var factory in factories)
        {
            if (!_factories.TryAdd(factory.Type, factory))
            {
                throw new ArgumentException($"dns: two provider factories have the type '{factory.Type}'", nameof(factories));
            }
        }
    }

    /// <summary>The <c>type:</c> key every provider section has; factories put it in their schema.</summary>
    public static ConfigKey TypeKey(string type) => new(
        "type",
        ConfigValueKind.String,
        "The kind of DNS provider; selects the other keys of this section.",
        Example: type,
        Required: true,
        Allowed: [type]);

    /// <summary>The registered types, sorted.</summary>
    public IReadOnlyList<string> Types => _factories.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>Each factory's schema, for the generated reference.</summary>
    public IReadOnlyList<ConfigSectionSchema> ProviderSchemas => Types.Select(t => _factories[t].Schema).ToList();

    public IDnsProviderFactory? Find(string type) => _factories.GetValueOrDefault(type);

    /// <summary>
    /// Creates every provider under <c>dns.providers</c> of <paramref name="dns"/>. Problems (unknown
    /// type, invalid keys) are recorded in the node's errors with their file and line, and such providers
    /// are left out.
    /// </summary>
    public IReadOnlyDictionary<string, IDnsProvider> CreateProviders(ConfigNode? dns, DnsProviderContext context)
    {
        var result = new Dictionary<string, IDnsProvider>(StringComparer.Ordinal);
        if (dns is null)
        {
            return result;
        }

        var genericType = new ConfigKey("type", ConfigValueKind.String, $"The kind of DNS provider: one of {string.Join(", ", Types)}.", Required: true);
        foreach (var (name, section) in dns.GetNamedSections(DnsOptions.ProvidersKey))
        {
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                section.AddError($"dns.providers: '{name}' is not a usable provider name; use letters, digits, '-' and '_'");
                continue;
            }

            var type = section.GetString(genericType);
            if (type is null)
            {
                continue;
            }

            if (Find(type) is not { } factory)
            {
                section.AddError(genericType, $"unknown provider type '{type}'; known types: {string.Join(", ", Types)}");
                continue;
            }

            if (factory.Create(name, section, context) is { } provider)
            {
                result.Add(name, provider);
            }
        }

        return result;
    }
}
