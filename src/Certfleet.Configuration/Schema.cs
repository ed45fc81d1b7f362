namespace Certfleet.Configuration;

/// <summary>The kind of value a key takes; drives parsing and the generated reference.</summary>
public enum ConfigValueKind
{
    String,
    Integer,
    Boolean,
    Duration,
    Secret,
    StringList,
    Section,
    NamedSections,
}

/// <summary>
/// One configuration key. Options are read through these definitions, and the configuration
/// reference in the docs is generated from them, so code and docs cannot drift apart.
/// </summary>
public sealed record ConfigKey(
    string Name,
    ConfigValueKind Kind,
    string Description,
    string? Default = null,
    string? Example = null,
    bool Required = false,
    IReadOnlyList<string>? Allowed = null,
    string? SectionPath = null);

/// <summary>A mapping in the configuration and the keys it accepts.</summary>
public sealed record ConfigSectionSchema(string Path, string Description, IReadOnlyList<ConfigKey> Keys)
{
    public ConfigKey this[string name] => Keys.First(k => k.Name == name);
}
