using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Certfleet.Configuration;

/// <summary>
/// A YAML mapping of the configuration, read through <see cref="ConfigKey"/> definitions.
/// Every problem is recorded in <see cref="Errors"/> with its file and line rather than thrown,
/// so that one run reports all of them.
/// </summary>
public sealed class ConfigNode
{
    private readonly YamlMappingNode _map;
    private readonly Func<string, string?> _environment;

    private ConfigNode(string file, string path, YamlMappingNode map, ConfigErrors errors, Func<string, string?> environment)
    {
        File = file;
        Path = path;
        _map = map;
        Errors = errors;
        _environment = environment;
    }

    public string File { get; }

    /// <summary>Dotted path of this mapping from the root, e.g. <c>dns.providers.lab</c>; empty for the root.</summary>
    public string Path { get; }

    public ConfigErrors Errors { get; }

    public SourceLocation Location => At(_map);

    public IEnumerable<string> Keys => _map.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "");

    /// <summary>Parses a YAML document; syntax errors become a <see cref="ConfigurationException"/>.</summary>
    public static ConfigNode Parse(string text, string file, ConfigErrors errors, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(text));
        try
        {
            stream.Load(parser);
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet reports some unterminated flow collections this way; the parser's position is the best line we have.
            var mark = parser.Current?.Start ?? Mark.Empty;
            throw new ConfigurationException([new ConfigError(new SourceLocation(file, Math.Max(1, (int)mark.Line), Math.Max(1, (int)mark.Column)), "invalid YAML: unterminated list or mapping")]);
        }
        catch (YamlException e)
        {
            var inner = e.InnerException is YamlException ie ? ie : e;
            var message = inner.Message.Contains("Duplicate key", StringComparison.OrdinalIgnoreCase) || inner.Message.Contains("same key", StringComparison.OrdinalIgnoreCase)
                ? "duplicate key; each key may appear once in a mapping"
                : $"invalid YAML: {FirstLine(inner.Message)}";
            throw new ConfigurationException([new ConfigError(new SourceLocation(file, (int)inner.Start.Line, (int)inner.Start.Column), message)]);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            throw new ConfigurationException([new ConfigError(new SourceLocation(file, 1, 1), "the file is empty; see docs/configuration.md for a starting point")]);
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var node = stream.Documents[0].RootNode;
            throw new ConfigurationException([new ConfigError(new SourceLocation(file, (int)node.Start.Line, (int)node.Start.Column), "the top level must be a mapping of keys (stateDir:, acme:, ...)")]);
        }

        return new ConfigNode(file, "", root, errors, environment);
    }

    /// <summary>Reads a file; an unreadable file is a configuration error.</summary>
    public static ConfigNode Load(string path, ConfigErrors errors, Func<string, string?>? environment = null)
    {
        string text;
        try
        {
            text = System.IO.File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"config: cannot read {path} ({(e is UnauthorizedAccessException ? "permission denied" : e is FileNotFoundException or DirectoryNotFoundException ? "not found" : e.Message)}); pass --config FILE or set CERTFLEET_CONFIG", e);
        }

        return Parse(text, path, errors, environment);
    }

    /// <summary>Records an error for every key that <paramref name="schema"/> does not define.</summary>
    public void RejectUnknownKeys(ConfigSectionSchema schema)
    {
        foreach (var (keyNode, _) in _map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            if (schema.Keys.Any(k => k.Name == key))
            {
                continue;
            }

            var near = schema.Keys.Select(k => k.Name).OrderBy(k => Distance(k, key)).FirstOrDefault();
            var hint = near is not null && Distance(near, key) <= 2 ? $"did you mean '{near}'?" : $"expected one of: {string.Join(", ", schema.Keys.Select(k => k.Name))}";
            Errors.Add(At(keyNode), $"unknown key '{key}' in {Describe()}; {hint}");
        }
    }

    public bool Has(ConfigKey key) => Find(key) is not null;

    /// <summary>The plain value of <paramref name="key"/> when it is a scalar, without recording any error.</summary>
    public string? Peek(string key) =>
        _map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode scalar ? scalar.Value : null;

    /// <summary>The keys of a nested mapping, without recording any error (empty when absent or not a mapping).</summary>
    public IReadOnlyList<string> KeysOf(ConfigKey key) =>
        Find(key) is YamlMappingNode map ? map.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "").ToList() : [];

    public SourceLocation LocationOf(ConfigKey key) => Find(key) is { } n ? At(n) : Location;

    public string? GetString(ConfigKey key)
    {
        var node = Find(key);
        if (node is null)
        {
            Missing(key);
            return key.Default;
        }

        if (node is not YamlScalarNode scalar || scalar.Value is null || (scalar.Value.Length == 0 && scalar.Style == ScalarStyle.Plain))
        {
            Errors.Add(At(node), $"{Qualified(key)} must be a {Expect(key)}");
            return null;
        }

        if (key.Allowed is { Count: > 0 } allowed && !allowed.Contains(scalar.Value, StringComparer.Ordinal))
        {
            Errors.Add(At(node), $"{Qualified(key)}: '{scalar.Value}' is not one of: {string.Join(", ", allowed)}");
            return null;
        }

        return scalar.Value;
    }

    public int? GetInt(ConfigKey key, int min = int.MinValue, int max = int.MaxValue)
    {
        var text = GetScalar(key);
        if (text is null)
        {
            return key.Default is null ? null : int.Parse(key.Default, CultureInfo.InvariantCulture);
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Errors.Add(LocationOf(key), $"{Qualified(key)} must be a whole number from {min} to {max}, not '{text}'");
            return null;
        }

        return value;
    }

    public bool? GetBool(ConfigKey key)
    {
        var text = GetScalar(key);
        if (text is null)
        {
            return key.Default is null ? null : bool.Parse(key.Default);
        }

        switch (text)
        {
            case "true" or "yes" or "on": return true;
            case "false" or "no" or "off": return false;
            default:
                Errors.Add(LocationOf(key), $"{Qualified(key)} must be true or false, not '{text}'");
                return null;
        }
    }

    public TimeSpan? GetDuration(ConfigKey key)
    {
        var text = GetScalar(key) ?? key.Default;
        if (text is null)
        {
            return null;
        }

        if (!DurationParser.TryParse(text, out var value))
        {
            Errors.Add(LocationOf(key), $"{Qualified(key)} must be a duration such as 90s, 10m, 2h or 1d, not '{text}'");
            return null;
        }

        return value;
    }

    /// <summary>
    /// A duration from <paramref name="min"/> to <paramref name="max"/> (both included); a value outside
    /// is recorded as "KEY must be from MIN to MAX" at its line and reads as null.
    /// </summary>
    public TimeSpan? GetDuration(ConfigKey key, TimeSpan min, TimeSpan max)
    {
        var value = GetDuration(key);
        if (value is { } v && (v < min || v > max))
        {
            Errors.Add(LocationOf(key), $"{Qualified(key)} must be from {DurationParser.Format(min)} to {DurationParser.Format(max)}, not '{Peek(key.Name) ?? DurationParser.Format(v)}'");
            return null;
        }

        return value;
    }

    /// <summary>A duration longer than zero; zero is recorded as an error at its line and reads as null.</summary>
    public TimeSpan? GetPositiveDuration(ConfigKey key)
    {
        var value = GetDuration(key);
        if (value is { } v && v <= TimeSpan.Zero)
        {
            AddError(key, "must be longer than zero");
            return null;
        }

        return value;
    }

    public Secret? GetSecret(ConfigKey key)
    {
        var text = GetScalar(key);
        return text is null ? null : Secret.Resolve(text, LocationOf(key), Errors, _environment);
    }

    public IReadOnlyList<(string Value, SourceLocation Location)> GetStringList(ConfigKey key)
    {
        var node = Find(key);
        if (node is null)
        {
            Missing(key);
            return [];
        }

        if (node is YamlScalarNode { Value: { Length: > 0 } single })
        {
            return [(single, At(node))];
        }

        if (node is not YamlSequenceNode seq)
        {
            Errors.Add(At(node), $"{Qualified(key)} must be a list, e.g. [a, b]");
            return [];
        }

        var items = new List<(string, SourceLocation)>();
        foreach (var item in seq.Children)
        {
            if (item is YamlScalarNode { Value: { } v })
            {
                items.Add((v, At(item)));
            }
            else
            {
                Errors.Add(At(item), $"each item of {Qualified(key)} must be a single value");
            }
        }

        return items;
    }

    /// <summary>A nested mapping; null when absent (or wrong, with an error recorded).</summary>
    public ConfigNode? GetSection(ConfigKey key)
    {
        var node = Find(key);
        if (node is null)
        {
            Missing(key);
            return null;
        }

        if (node is YamlScalarNode { Value: null or "" })
        {
            return null;
        }

        if (node is not YamlMappingNode map)
        {
            Errors.Add(At(node), $"{Qualified(key)} must be a mapping of keys");
            return null;
        }

        return new ConfigNode(File, Join(Path, key.Name), map, Errors, _environment);
    }

    /// <summary>A mapping of name → mapping (e.g. <c>certificates:</c>), in file order.</summary>
    public IReadOnlyList<(string Name, ConfigNode Node)> GetNamedSections(ConfigKey key)
    {
        var section = GetSection(key);
        if (section is null)
        {
            return [];
        }

        var result = new List<(string, ConfigNode)>();
        foreach (var (k, v) in section._map.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? "";
            if (v is YamlMappingNode map)
            {
                result.Add((name, new ConfigNode(File, Join(section.Path, name), map, Errors, _environment)));
            }
            else
            {
                Errors.Add(At(v), $"{Join(section.Path, name)} must be a mapping of keys");
            }
        }

        return result;
    }

    /// <summary>A list of mappings (e.g. <c>deploy:</c>), in file order; a single mapping counts as a list of one.</summary>
    public IReadOnlyList<ConfigNode> GetSectionList(ConfigKey key)
    {
        var node = Find(key);
        if (node is null)
        {
            Missing(key);
            return [];
        }

        IList<YamlNode>? items = node switch
        {
            YamlSequenceNode seq => seq.Children,
            YamlMappingNode => new List<YamlNode> { node },
            YamlScalarNode { Value: null or "" } => new List<YamlNode>(),
            _ => null,
        };
        if (items is null)
        {
            Errors.Add(At(node), $"{Qualified(key)} must be a list of mappings, e.g. - {{ to: \"@web\" }}");
            return [];
        }

        var result = new List<ConfigNode>();
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is YamlMappingNode map)
            {
                result.Add(new ConfigNode(File, $"{Qualified(key)}[{i}]", map, Errors, _environment));
            }
            else
            {
                Errors.Add(At(items[i]), $"each item of {Qualified(key)} must be a mapping of keys");
            }
        }

        return result;
    }

    public void AddError(ConfigKey key, string message) => Errors.Add(LocationOf(key), $"{Qualified(key)}: {message}");

    public void AddError(string message) => Errors.Add(Location, message);

    private string? GetScalar(ConfigKey key)
    {
        var node = Find(key);
        if (node is null)
        {
            Missing(key);
            return null;
        }

        if (node is not YamlScalarNode { Value: { Length: > 0 } value })
        {
            Errors.Add(At(node), $"{Qualified(key)} must be a {Expect(key)}");
            return null;
        }

        return value;
    }

    private YamlNode? Find(ConfigKey key) =>
        _map.Children.TryGetValue(new YamlScalarNode(key.Name), out var node) ? node : null;

    private void Missing(ConfigKey key)
    {
        if (key.Required)
        {
            Errors.Add(Location, $"{Qualified(key)} is required: {key.Description}");
        }
    }

    private string Qualified(ConfigKey key) => Join(Path, key.Name);

    private string Describe() => Path.Length == 0 ? "the top level" : Path;

    private SourceLocation At(YamlNode node) => new(File, (int)node.Start.Line, (int)node.Start.Column);

    private static string Join(string a, string b) => a.Length == 0 ? b : $"{a}.{b}";

    private static string Expect(ConfigKey key) => key.Kind switch
    {
        ConfigValueKind.Integer => "whole number",
        ConfigValueKind.Boolean => "true or false",
        ConfigValueKind.Duration => "duration such as 10m",
        ConfigValueKind.Secret => "secret: a value, env:NAME or file:PATH",
        _ => "single value",
    };

    private static string FirstLine(string s)
    {
        var i = s.IndexOf('\n', StringComparison.Ordinal);
        return (i < 0 ? s : s[..i]).Trim();
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            }
        }

        return d[a.Length, b.Length];
    }
}
