using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Certfleet.Remote;

/// <summary>Hosts and groups read from an Ansible inventory, and what could not be used.</summary>
public sealed record AnsibleImport(
    IReadOnlyList<SshHost> Hosts,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Groups,
    IReadOnlyList<string> Warnings);

/// <summary>
/// Imports Ansible inventories in the INI and YAML formats: groups, <c>:children</c> groups,
/// <c>:vars</c>, host variables on the host line, <c>ansible_host</c>, <c>ansible_port</c>, <c>ansible_user</c>,
/// <c>ansible_ssh_private_key_file</c> and <c>ansible_become</c>.
/// </summary>
public static class AnsibleInventory
{
    public static AnsibleImport Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var text = File.ReadAllText(path);
        return LooksLikeYaml(path, text) ? ParseYaml(text, path) : ParseIni(text, path);
    }

    private static bool LooksLikeYaml(string path, string text) =>
        path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase)
        || text.TrimStart().StartsWith("---", StringComparison.Ordinal)
        || text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith('#')) is { } first && first.EndsWith(':') && !first.StartsWith('[');

    public static AnsibleImport ParseIni(string text, string file = "inventory")
    {
        ArgumentNullException.ThrowIfNull(text);
        var b = new Builder();
        var section = "ungrouped";
        var kind = "hosts";
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = StripComment(lines[i]).Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                var header = line[1..^1];
                var colon = header.IndexOf(':', StringComparison.Ordinal);
                section = colon < 0 ? header : header[..colon];
                kind = colon < 0 ? "hosts" : header[(colon + 1)..];
                b.Group(section);
                continue;
            }

            var words = SplitWords(line);
            switch (kind)
            {
                case "hosts":
                    var vars = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var w in words.Skip(1))
                    {
                        var eq = w.IndexOf('=', StringComparison.Ordinal);
                        if (eq > 0)
                        {
                            vars[w[..eq]] = w[(eq + 1)..];
                        }
                        else
                        {
                            b.Warnings.Add($"{file}:{i + 1}: '{w}' is not name=value; ignored");
                        }
                    }

                    foreach (var name in ExpandRange(words[0]))
                    {
                        b.Host(name, section, vars);
                    }

                    break;
                case "children":
                    b.Child(section, words[0]);
                    break;
                case "vars":
                    var veq = line.IndexOf('=', StringComparison.Ordinal);
                    if (veq > 0)
                    {
                        b.GroupVar(section, line[..veq].Trim(), Unquote(line[(veq + 1)..].Trim()));
                    }

                    break;
                default:
                    b.Warnings.Add($"{file}:{i + 1}: section kind ':{kind}' is not understood; ignored");
                    break;
            }
        }

        return b.Build(file);
    }

    public static AnsibleImport ParseYaml(string text, string file = "inventory.yml")
    {
        ArgumentNullException.ThrowIfNull(text);
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var b = new Builder();
        if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root)
        {
            foreach (var (k, v) in root.Children)
            {
                WalkGroup(b, Scalar(k) ?? "", v as YamlMappingNode);
            }
        }

        return b.Build(file);
    }

    private static void WalkGroup(Builder b, string group, YamlMappingNode? node)
    {
        b.Group(group);
        if (node is null)
        {
            return;
        }

        if (Child(node, "vars") is YamlMappingNode vars)
        {
            foreach (var (k, v) in vars.Children)
            {
                b.GroupVar(group, Scalar(k) ?? "", Scalar(v) ?? "");
            }
        }

        if (Child(node, "hosts") is YamlMappingNode hosts)
        {
            foreach (var (k, v) in hosts.Children)
            {
                var hostVars = new Dictionary<string, string>(StringComparer.Ordinal);
                if (v is YamlMappingNode hv)
                {
                    foreach (var (vk, vv) in hv.Children)
                    {
                        hostVars[Scalar(vk) ?? ""] = Scalar(vv) ?? "";
                    }
                }

                foreach (var name in ExpandRange(Scalar(k) ?? ""))
                {
                    b.Host(name, group, hostVars);
                }
            }
        }

        if (Child(node, "children") is YamlMappingNode children)
        {
            foreach (var (k, v) in children.Children)
            {
                var child = Scalar(k) ?? "";
                b.Child(group, child);
                WalkGroup(b, child, v as YamlMappingNode);
            }
        }
    }

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static string? Scalar(YamlNode node) => (node as YamlScalarNode)?.Value;

    private static string StripComment(string line)
    {
        var inQuote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (inQuote != '\0')
            {
                if (c == inQuote)
                {
                    inQuote = '\0';
                }
            }
            else if (c is '"' or '\'')
            {
                inQuote = c;
            }
            else if ((c == '#' || c == ';') && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i];
            }
        }

        return line;
    }

    private static List<string> SplitWords(string line)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        var quote = '\0';
        foreach (var c in line)
        {
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (current.Length > 0)
                {
                    words.Add(current.ToString());
                    current.Clear();
                }
            }
            else
            {
                current.Append(c);
            }
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        return words;
    }

    private static string Unquote(string s) => s.Length >= 2 && (s[0] is '"' or '\'') && s[^1] == s[0] ? s[1..^1] : s;

    /// <summary>Ansible's numeric host ranges, e.g. <c>web[01:03].example.com</c>.</summary>
    private static IEnumerable<string> ExpandRange(string name)
    {
        var open = name.IndexOf('[', StringComparison.Ordinal);
        var close = name.IndexOf(']', StringComparison.Ordinal);
        if (open < 0 || close < open)
        {
            return [name];
        }

        var range = name[(open + 1)..close].Split(':');
        if (range.Length != 2 || !int.TryParse(range[0], CultureInfo.InvariantCulture, out var from) || !int.TryParse(range[1], CultureInfo.InvariantCulture, out var to) || to < from || to - from > 10000)
        {
            return [name];
        }

        var width = range[0].Length;
        return Enumerable.Range(from, to - from + 1)
            .SelectMany(n => ExpandRange(name[..open] + n.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0') + name[(close + 1)..]));
    }

    private sealed class Builder
    {
        private readonly List<string> _hostOrder = [];
        private readonly Dictionary<string, Dictionary<string, string>> _hostVars = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<string>> _groupHosts = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<string>> _children = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Dictionary<string, string>> _groupVars = new(StringComparer.Ordinal);

        public List<string> Warnings { get; } = [];

        public void Group(string name)
        {
            _groupHosts.TryAdd(name, []);
        }

        public void Host(string name, string group, Dictionary<string, string> vars)
        {
            if (!_hostVars.TryGetValue(name, out var existing))
            {
                _hostOrder.Add(name);
                _hostVars[name] = existing = new Dictionary<string, string>(StringComparer.Ordinal);
            }

            foreach (var (k, v) in vars)
            {
                existing[k] = v;
            }

            Group(group);
            if (!_groupHosts[group].Contains(name))
            {
                _groupHosts[group].Add(name);
            }
        }

        public void Child(string parent, string child)
        {
            Group(parent);
            Group(child);
            if (!_children.TryGetValue(parent, out var list))
            {
                _children[parent] = list = [];
            }

            list.Add(child);
        }

        public void GroupVar(string group, string key, string value)
        {
            if (!_groupVars.TryGetValue(group, out var vars))
            {
                _groupVars[group] = vars = new Dictionary<string, string>(StringComparer.Ordinal);
            }

            vars[key] = value;
        }

        public AnsibleImport Build(string file)
        {
            var groups = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (var g in _groupHosts.Keys.Where(g => g is not "all"))
            {
                groups[g] = Members(g, []).Distinct().ToList();
            }

            var hosts = new List<SshHost>();
            foreach (var name in _hostOrder)
            {
                // Ansible precedence, simplified: group vars (parents first), then host vars.
                var vars = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (k, v) in GroupVarsFor(name))
                {
                    vars[k] = v;
                }

                foreach (var (k, v) in _hostVars[name])
                {
                    vars[k] = v;
                }

                var port = 22;
                if (vars.TryGetValue("ansible_port", out var p) && (!int.TryParse(p, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
                {
                    Warnings.Add($"{file}: host {name}: ansible_port '{p}' is not a port; using 22");
                    port = 22;
                }

                var sudo = vars.TryGetValue("ansible_become", out var become) && become.ToLowerInvariant() is "true" or "yes" or "1";
                hosts.Add(new SshHost(name,
                    vars.GetValueOrDefault("ansible_host") ?? vars.GetValueOrDefault("ansible_ssh_host") ?? name,
                    port,
                    vars.GetValueOrDefault("ansible_user") ?? vars.GetValueOrDefault("ansible_ssh_user") ?? "root",
                    vars.GetValueOrDefault("ansible_ssh_private_key_file"),
                    sudo,
                    groups.Where(g => g.Value.Contains(name)).Select(g => g.Key).ToList()));
            }

            return new AnsibleImport(hosts, groups, Warnings);
        }

        private IEnumerable<string> Members(string group, HashSet<string> seen)
        {
            if (!seen.Add(group))
            {
                yield break;
            }

            foreach (var h in _groupHosts.GetValueOrDefault(group) ?? [])
            {
                yield return h;
            }

            foreach (var c in _children.GetValueOrDefault(group) ?? [])
            {
                foreach (var h in Members(c, seen))
                {
                    yield return h;
                }
            }
        }

        private IEnumerable<KeyValuePair<string, string>> GroupVarsFor(string host)
        {
            var order = new List<string>();
            if (_groupVars.ContainsKey("all"))
            {
                order.Add("all");
            }

            // Parents before children so the more specific group wins.
            foreach (var g in _groupHosts.Keys.Where(g => g != "all").OrderBy(Depth))
            {
                if (Members(g, []).Contains(host))
                {
                    order.Add(g);
                }
            }

            return order.SelectMany(g => _groupVars.GetValueOrDefault(g) ?? []);
        }

        private int Depth(string group)
        {
            var depth = 0;
            var current = group;
            for (var guard = 0; guard < 32; guard++)
            {
                var parent = _children.FirstOrDefault(c => c.Value.Contains(current)).Key;
                if (parent is null)
                {
                    break;
                }

                depth++;
                current = parent;
            }

            return depth;
        }
    }
}
