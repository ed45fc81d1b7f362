using System.Text.RegularExpressions;

namespace Certfleet.WebServers.Checks;

/// <summary>Finds directives that still enable TLS 1.0 or 1.1 (deprecated by RFC 8996).</summary>
public static partial class ProtocolPosture
{
    /// <summary>A directive that enables old protocols, with the ones it enables.</summary>
    public sealed record OldProtocols(ConfigLocation Location, string Directive, IReadOnlyList<string> Enabled);

    /// <summary>Scans an <c>nginx -T</c> dump; locations are those of the original files.</summary>
    public static IReadOnlyList<OldProtocols> ScanNginxDump(string dump)
    {
        ArgumentNullException.ThrowIfNull(dump);
        var result = new List<OldProtocols>();
        string? file = null;
        var line = 0;
        foreach (var raw in dump.Split('\n'))
        {
            var marker = NginxFileMarker().Match(raw);
            if (marker.Success)
            {
                file = marker.Groups[1].Value;
                line = 0;
                continue;
            }

            line++;
            var m = NginxProtocols().Match(raw);
            if (file is not null && m.Success)
            {
                var tokens = m.Groups[1].Value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                var old = tokens.Where(t => t is "TLSv1" or "TLSv1.1" or "SSLv3" or "SSLv2").ToList();
                if (old.Count > 0)
                {
                    result.Add(new OldProtocols(new ConfigLocation(file, line), "ssl_protocols", old));
                }
            }
        }

        return result;
    }

    /// <summary>Scans Apache files for SSLProtocol and evaluates it as mod_ssl does (all, +X, -X).</summary>
    public static IReadOnlyList<OldProtocols> ScanApache(string file, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<OldProtocols>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var m = ApacheProtocol().Match(lines[i]);
            if (!m.Success)
            {
                continue;
            }

            var enabled = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var token in m.Groups[1].Value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                var sign = token[0] is '+' or '-' ? token[0] : '+';
                var name = token.TrimStart('+', '-');
                string[] set = name.Equals("all", StringComparison.OrdinalIgnoreCase) ? ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] : [name];
                foreach (var p in set)
                {
                    if (sign == '+')
                    {
                        enabled.Add(p);
                    }
                    else
                    {
                        enabled.Remove(p);
                    }
                }
            }

            var old = enabled.Where(p => p is "TLSv1" or "TLSv1.1" or "SSLv3").Order(StringComparer.Ordinal).ToList();
            if (old.Count > 0)
            {
                result.Add(new OldProtocols(new ConfigLocation(file, i + 1), "SSLProtocol", old));
            }
        }

        return result;
    }

    /// <summary>Scans Tomcat's server.xml for protocols/sslEnabledProtocols attributes naming TLS 1.0 or 1.1.</summary>
    public static IReadOnlyList<OldProtocols> ScanTomcat(string file, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<OldProtocols>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            foreach (Match m in TomcatProtocols().Matches(lines[i]))
            {
                var old = m.Groups[2].Value.Split([',', ' ', '+'], StringSplitOptions.RemoveEmptyEntries).Where(t => t is "TLSv1" or "TLSv1.1" or "SSLv3" or "all").ToList();
                if (old.Count > 0)
                {
                    result.Add(new OldProtocols(new ConfigLocation(file, i + 1), m.Groups[1].Value, old));
                }
            }
        }

        return result;
    }

    [GeneratedRegex(@"^# configuration file (.+):\s*$")]
    private static partial Regex NginxFileMarker();

    [GeneratedRegex(@"^\s*ssl_protocols\s+([^;#]*);")]
    private static partial Regex NginxProtocols();

    [GeneratedRegex(@"^\s*SSLProtocol\s+([^#]+)", RegexOptions.IgnoreCase)]
    private static partial Regex ApacheProtocol();

    [GeneratedRegex("\\b(protocols|sslEnabledProtocols|sslProtocol)=\"([^\"]*)\"")]
    private static partial Regex TomcatProtocols();
}
