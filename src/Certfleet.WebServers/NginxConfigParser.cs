using System.Globalization;
using System.Text;

namespace Certfleet.WebServers;

/// <summary>
/// Reads the output of <c>nginx -T</c>: the dump of every file nginx loaded, each introduced by a
/// <c># configuration file PATH:</c> line. Server blocks with an <c>ssl</c> listen become endpoints.
/// </summary>
public static class NginxConfigParser
{
    private const string Marker = "# configuration file ";

    public static ParsedConfig ParseDump(string dump)
    {
        ArgumentNullException.ThrowIfNull(dump);
        var findings = new List<ConfigFinding>();
        var endpoints = new List<TlsEndpoint>();
        foreach (var (file, text, firstLine) in SplitFiles(dump))
        {
            if (ConfigLimits.LooksBinary(text))
            {
                findings.Add(new ConfigFinding("binary content in an nginx configuration file; skipped", new ConfigLocation(file, firstLine)));
                continue;
            }

            var root = Parse(file, text, findings);
            Collect(root, file, null, endpoints);
        }

        return new ParsedConfig(endpoints, findings);
    }

    /// <summary>Parses one file's text (e.g. a fixture) as if nginx -T had dumped it.</summary>
    public static ParsedConfig ParseFile(string file, string text) => ParseDump($"{Marker}{file}:\n{text}");

    private static IEnumerable<(string File, string Text, int FirstLine)> SplitFiles(string dump)
    {
        var lines = dump.Split('\n');
        string? file = null;
        var sb = new StringBuilder();
        var first = 1;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.StartsWith(Marker, StringComparison.Ordinal) && line.EndsWith(':'))
            {
                if (file is not null)
                {
                    yield return (file, sb.ToString(), first);
                }

                file = line[Marker.Length..^1];
                sb.Clear();
                first = i + 2;
                continue;
            }

            if (file is not null)
            {
                sb.Append(line).Append('\n');
            }
        }

        if (file is not null)
        {
            yield return (file, sb.ToString(), first);
        }
    }

    internal sealed record Directive(string Name, IReadOnlyList<string> Args, int Line, List<Directive>? Block);

    private static List<Directive> Parse(string file, string text, List<ConfigFinding> findings)
    {
        var root = new List<Directive>();
        var stack = new Stack<List<Directive>>();
        stack.Push(root);
        var openLines = new Stack<int>();
        var words = new List<string>();
        var wordLine = 0;
        var line = 1;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\n')
            {
                line++;
                i++;
            }
            else if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '#')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
            }
            else if (c is ';' or '{' or '}')
            {
                i++;
                if (c == '}')
                {
                    if (words.Count > 0)
                    {
                        findings.Add(new ConfigFinding($"directive '{words[0]}' is not terminated by ';'", new ConfigLocation(file, wordLine)));
                        words.Clear();
                    }

                    if (stack.Count == 1)
                    {
                        findings.Add(new ConfigFinding("unexpected '}' (unbalanced braces)", new ConfigLocation(file, line)));
                    }
                    else
                    {
                        stack.Pop();
                        openLines.Pop();
                    }

                    continue;
                }

                if (words.Count == 0)
                {
                    findings.Add(new ConfigFinding($"unexpected '{c}'", new ConfigLocation(file, line)));
                    continue;
                }

                var block = c == '{' ? new List<Directive>() : null;
                stack.Peek().Add(new Directive(words[0], words.Skip(1).ToList(), wordLine, block));
                words.Clear();
                if (block is not null)
                {
                    if (stack.Count > 64)
                    {
                        findings.Add(new ConfigFinding("blocks nested more than 64 deep; the rest of the file is skipped", new ConfigLocation(file, line)));
                        return root;
                    }

                    stack.Push(block);
                    openLines.Push(wordLine);
                }
            }
            else
            {
                if (words.Count == 0)
                {
                    wordLine = line;
                }

                words.Add(ReadWord(text, ref i, ref line));
            }
        }

        if (words.Count > 0)
        {
            findings.Add(new ConfigFinding($"directive '{words[0]}' is not terminated by ';'", new ConfigLocation(file, wordLine)));
        }

        while (openLines.Count > 0)
        {
            findings.Add(new ConfigFinding("block opened here is never closed (unbalanced braces)", new ConfigLocation(file, openLines.Pop())));
        }

        return root;
    }

    private static string ReadWord(string text, ref int i, ref int line)
    {
        var sb = new StringBuilder();
        var quote = text[i] is '"' or '\'' ? text[i++] : '\0';
        while (i < text.Length)
        {
            var c = text[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    i++;
                    break;
                }
            }
            else if (char.IsWhiteSpace(c) || c is ';' or '{' or '}')
            {
                break;
            }

            if (c == '\\' && i + 1 < text.Length)
            {
                i++;
                c = text[i];
            }

            if (c == '\n')
            {
                line++;
            }

            sb.Append(c);
            i++;
        }

        return sb.ToString();
    }

    private static void Collect(List<Directive> block, string file, List<Directive>? parent, List<TlsEndpoint> endpoints)
    {
        foreach (var d in block)
        {
            if (d.Block is null)
            {
                continue;
            }

            if (d.Name == "server" && d.Args.Count == 0)
            {
                AddServer(d, file, block, endpoints);
            }
            else
            {
                Collect(d.Block, file, block, endpoints);
            }
        }

        _ = parent;
    }

    private static void AddServer(Directive server, string file, List<Directive> context, List<TlsEndpoint> endpoints)
    {
        var body = server.Block!;
        var sslOn = body.Any(d => d.Name == "ssl" && d.Args.Count > 0 && d.Args[0] == "on");
        var names = body.Where(d => d.Name == "server_name").SelectMany(d => d.Args).Where(n => n.Length > 0).Distinct().ToList();

        // ssl_certificate is inherited from the enclosing http block when the server does not set it.
        var cert = body.LastOrDefault(d => d.Name == "ssl_certificate") ?? context.LastOrDefault(d => d.Name == "ssl_certificate" && d.Block is null);
        var key = body.LastOrDefault(d => d.Name == "ssl_certificate_key") ?? context.LastOrDefault(d => d.Name == "ssl_certificate_key" && d.Block is null);
        var chain = body.LastOrDefault(d => d.Name == "ssl_trusted_certificate");
        var seen = new HashSet<int>();
        foreach (var listen in body.Where(d => d.Name == "listen" && d.Args.Count > 0))
        {
            if (!(sslOn || listen.Args.Skip(1).Contains("ssl")))
            {
                continue;
            }

            var (address, port) = SplitListen(listen.Args[0]);
            if (port is null || !seen.Add(port.Value))
            {
                continue;
            }

            endpoints.Add(new TlsEndpoint(port.Value, address, names, cert?.Args.FirstOrDefault(), key?.Args.FirstOrDefault(), chain?.Args.FirstOrDefault(),
                new ConfigLocation(file, server.Line), cert is null ? null : new ConfigLocation(file, cert.Line)));
        }
    }

    private static (string? Address, int? Port) SplitListen(string value)
    {
        if (value.StartsWith("unix:", StringComparison.Ordinal))
        {
            return (value, null);
        }

        string? address = null;
        var portText = value;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']', StringComparison.Ordinal);
            address = close > 0 ? value[..(close + 1)] : value;
            portText = close > 0 && close + 1 < value.Length && value[close + 1] == ':' ? value[(close + 2)..] : "80";
        }
        else if (value.LastIndexOf(':') is var colon and > 0)
        {
            address = value[..colon];
            portText = value[(colon + 1)..];
        }
        else if (!value.All(char.IsAsciiDigit))
        {
            address = value;
            portText = "80";
        }

        return int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536 ? (address, port) : (address, null);
    }
}
