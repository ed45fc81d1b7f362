using System.Globalization;
using System.Text;

namespace Certfleet.WebServers;

/// <summary>
/// Reads an Apache configuration from its main file through every Include/IncludeOptional (globs,
/// relative to ServerRoot) and returns the TLS virtual hosts: those on port 443 or with SSLEngine on.
/// Conditional sections (IfModule, IfDefine, IfVersion) are read as if true.
/// </summary>
public sealed class ApacheConfigParser
{
    private readonly IFileSource _files;
    private readonly List<ConfigFinding> _findings = [];
    private readonly List<TlsEndpoint> _endpoints = [];
    private readonly HashSet<string> _visited = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _defines = new(StringComparer.Ordinal);
    private readonly Global _global = new();
    private string _serverRoot;
    private VHost? _current;

    private ApacheConfigParser(IFileSource files, string serverRoot, IReadOnlyDictionary<string, string>? defines)
    {
        _files = files;
        _serverRoot = serverRoot;
        foreach (var (k, v) in defines ?? new Dictionary<string, string>())
        {
            _defines[k] = v;
        }
    }

    /// <param name="defines">Variables for <c>${NAME}</c>, e.g. Debian's APACHE_LOG_DIR from /etc/apache2/envvars.</param>
    public static async Task<ParsedConfig> ParseAsync(IFileSource files, string serverRoot, string mainFile, IReadOnlyDictionary<string, string>? defines, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(mainFile);
        var parser = new ApacheConfigParser(files, serverRoot, defines);
        await parser.ReadFileAsync(parser.Resolve(mainFile), 0, optional: false, null, cancellationToken);
        return new ParsedConfig(parser._endpoints, parser._findings);
    }

    private string Resolve(string path) => path.StartsWith('/') ? path : _serverRoot.TrimEnd('/') + "/" + path;

    private async Task ReadFileAsync(string path, int depth, bool optional, ConfigLocation? from, CancellationToken cancellationToken)
    {
        if (depth > ConfigLimits.MaxIncludeDepth)
        {
            _findings.Add(new ConfigFinding($"includes nested more than {ConfigLimits.MaxIncludeDepth} deep at {path}; not followed", from));
            return;
        }

        if (_visited.Count >= ConfigLimits.MaxFiles)
        {
            _findings.Add(new ConfigFinding($"more than {ConfigLimits.MaxFiles} configuration files; {path} and the rest are not read", from));
            return;
        }

        if (!_visited.Add(path))
        {
            _findings.Add(new ConfigFinding($"{path} is included again (include loop); skipped", from));
            return;
        }

        var read = await _files.ReadAsync(path, ConfigLimits.MaxFileBytes, cancellationToken);
        if (read.Text is null)
        {
            if (!optional || read.Size > 0)
            {
                _findings.Add(new ConfigFinding(read.Problem ?? $"cannot read {path}", from));
            }

            return;
        }

        if (ConfigLimits.LooksBinary(read.Text))
        {
            _findings.Add(new ConfigFinding($"{path} holds binary content, not configuration; skipped", from));
            return;
        }

        foreach (var (line, text) in LogicalLines(read.Text))
        {
            await DirectiveAsync(path, line, text, depth, cancellationToken);
        }
    }

    private async Task DirectiveAsync(string file, int line, string text, int depth, CancellationToken cancellationToken)
    {
        var here = new ConfigLocation(file, line);
        if (text.StartsWith("</", StringComparison.Ordinal))
        {
            if (text.StartsWith("</VirtualHost", StringComparison.OrdinalIgnoreCase))
            {
                if (_current is null)
                {
                    _findings.Add(new ConfigFinding("</VirtualHost> without <VirtualHost>", here));
                }
                else
                {
                    Finish(_current);
                    _current = null;
                }
            }

            return;
        }

        if (text.StartsWith('<'))
        {
            var inner = text.TrimStart('<').TrimEnd('>');
            var words = Words(inner);
            if (words.Count > 0 && words[0].Equals("VirtualHost", StringComparison.OrdinalIgnoreCase))
            {
                if (_current is not null)
                {
                    _findings.Add(new ConfigFinding("<VirtualHost> inside another <VirtualHost>", here));
                    Finish(_current);
                }

                _current = new VHost(here, words.Skip(1).Select(Expand).ToList());
            }

            return;
        }

        var args = Words(text).Select(Expand).ToList();
        if (args.Count == 0)
        {
            return;
        }

        var name = args[0].ToLowerInvariant();
        var value = args.Count > 1 ? args[1] : null;
        switch (name)
        {
            case "serverroot" when value is not null && _current is null:
                _serverRoot = value;
                break;
            case "define" when value is not null:
                _defines[value] = args.Count > 2 ? args[2] : "";
                break;
            case "include" or "includeoptional" when value is not null:
                var optional = name == "includeoptional";
                var pattern = Resolve(value);
                var matches = HasWildcard(pattern) || Directory(pattern) ? await GlobAsync(pattern, cancellationToken) : [pattern];
                if (matches.Count == 0 && !optional)
                {
                    _findings.Add(new ConfigFinding($"Include {value} matches no file", here));
                }

                foreach (var m in matches)
                {
                    await ReadFileAsync(m, depth + 1, optional, here, cancellationToken);
                }

                break;
            default:
                Set(_current is null ? _global : _current, name, args.Skip(1).ToList(), here);
                break;
        }
    }

    private static bool Directory(string pattern) => pattern.EndsWith('/');

    private async Task<IReadOnlyList<string>> GlobAsync(string pattern, CancellationToken cancellationToken)
    {
        // Include of a directory reads every file in it (Apache core docs, Include).
        var glob = pattern.EndsWith('/') ? pattern + "*" : pattern;
        return await _files.GlobAsync(glob, cancellationToken);
    }

    private static bool HasWildcard(string s) => s.IndexOfAny(['*', '?', '[']) >= 0;

    private static void Set(Settings target, string name, List<string> values, ConfigLocation here)
    {
        var first = values.FirstOrDefault();
        switch (name)
        {
            case "servername" when first is not null:
                target.ServerName = StripPort(first);
                break;
            case "serveralias":
                target.Aliases.AddRange(values);
                break;
            case "sslengine" when first is not null:
                target.SslEngine = first.Equals("on", StringComparison.OrdinalIgnoreCase);
                break;
            case "sslcertificatefile" when first is not null:
                target.Certificate = first;
                target.CertificateLocation = here;
                break;
            case "sslcertificatekeyfile" when first is not null:
                target.Key = first;
                break;
            case "sslcertificatechainfile" when first is not null:
                target.Chain = first;
                break;
        }
    }

    private void Finish(VHost vhost)
    {
        var ports = vhost.Addresses.Select(SplitAddress).ToList();
        var tlsPorts = ports.Where(p => p.Port == 443 || vhost.SslEngine == true).ToList();
        if (tlsPorts.Count == 0)
        {
            return;
        }

        var names = new List<string>();
        if ((vhost.ServerName ?? _global.ServerName) is { } serverName)
        {
            names.Add(serverName);
        }

        names.AddRange(vhost.Aliases);
        var cert = vhost.Certificate ?? _global.Certificate;
        if (vhost.SslEngine != true)
        {
            _findings.Add(new ConfigFinding("virtual host on port 443 without 'SSLEngine on'", vhost.Location));
        }
        else if (cert is null)
        {
            _findings.Add(new ConfigFinding("TLS virtual host without SSLCertificateFile", vhost.Location));
        }

        foreach (var (address, port) in tlsPorts.DistinctBy(p => p.Port))
        {
            _endpoints.Add(new TlsEndpoint(port ?? 443, address, names.Distinct().ToList(), cert, vhost.Key ?? _global.Key, vhost.Chain ?? _global.Chain,
                vhost.Location, vhost.Certificate is not null ? vhost.CertificateLocation : _global.CertificateLocation));
        }
    }

    private static (string? Address, int? Port) SplitAddress(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon < 0 || value.EndsWith(']'))
        {
            return (value, null);
        }

        return int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? (value[..colon], port) : (value, null);
    }

    private static string StripPort(string name)
    {
        var i = name.IndexOf("://", StringComparison.Ordinal);
        var s = i >= 0 ? name[(i + 3)..] : name;
        var colon = s.LastIndexOf(':');
        return colon > 0 && !s.EndsWith(']') ? s[..colon] : s;
    }

    private string Expand(string word)
    {
        if (!word.Contains("${", StringComparison.Ordinal))
        {
            return word;
        }

        var sb = new StringBuilder();
        var i = 0;
        while (i < word.Length)
        {
            var start = word.IndexOf("${", i, StringComparison.Ordinal);
            var end = start < 0 ? -1 : word.IndexOf('}', start);
            if (start < 0 || end < 0)
            {
                sb.Append(word, i, word.Length - i);
                break;
            }

            sb.Append(word, i, start - i);
            var name = word[(start + 2)..end];
            sb.Append(_defines.TryGetValue(name, out var v) ? v : word[start..(end + 1)]);
            i = end + 1;
        }

        return sb.ToString();
    }

    /// <summary>Lines with comments dropped and backslash continuations joined, with the line each starts on.</summary>
    internal static IEnumerable<(int Line, string Text)> LogicalLines(string text)
    {
        var lines = text.Split('\n');
        var sb = new StringBuilder();
        var start = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var raw = lines[i].TrimEnd('\r');
            if (sb.Length == 0)
            {
                start = i + 1;
                var trimmed = raw.TrimStart();
                if (trimmed.StartsWith('#') || trimmed.Length == 0)
                {
                    continue;
                }
            }

            if (raw.EndsWith('\\'))
            {
                sb.Append(raw, 0, raw.Length - 1).Append(' ');
                continue;
            }

            sb.Append(raw);
            yield return (start, sb.ToString().Trim());
            sb.Clear();
        }

        if (sb.Length > 0)
        {
            yield return (start, sb.ToString().Trim());
        }
    }

    private static List<string> Words(string text)
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        var quote = '\0';
        foreach (var c in text)
        {
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                    words.Add(sb.ToString());
                    sb.Clear();
                }
                else
                {
                    sb.Append(c);
                }
            }
            else if (c is '"' or '\'' && sb.Length == 0)
            {
                quote = c;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (sb.Length > 0)
                {
                    words.Add(sb.ToString());
                    sb.Clear();
                }
            }
            else
            {
                sb.Append(c);
            }
        }

        if (sb.Length > 0)
        {
            words.Add(sb.ToString());
        }

        return words;
    }

    private class Settings
    {
        public string? ServerName { get; set; }

        public List<string> Aliases { get; } = [];

        public bool? SslEngine { get; set; }

        public string? Certificate { get; set; }

        public ConfigLocation? CertificateLocation { get; set; }

        public string? Key { get; set; }

        public string? Chain { get; set; }
    }

    private sealed class Global : Settings;

    private sealed class VHost(ConfigLocation location, List<string> addresses) : Settings
    {
        public ConfigLocation Location => location;

        public List<string> Addresses => addresses;
    }
}
