using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Certfleet.Docs.Tests;

/// <summary>Just enough Markdown for link checks: links outside code, and GitHub's heading anchors.</summary>
internal static partial class Markdown
{
    /// <summary>The repository root, found from this source file's path (the build output may live anywhere).</summary>
    public static string RepositoryRoot([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    /// <summary>Text with fenced code blocks and inline code spans blanked (line numbers kept).</summary>
    public static string WithoutCode(string markdown)
    {
        var sb = new StringBuilder();
        var fenced = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
                sb.Append('\n');
                continue;
            }

            sb.Append(fenced ? "" : InlineCode().Replace(line, "")).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>Link targets of inline links <c>[text](target)</c>, with their line numbers.</summary>
    public static IEnumerable<(int Line, string Target)> Links(string markdown)
    {
        var lines = WithoutCode(markdown).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            foreach (Match m in Link().Matches(lines[i]))
            {
                yield return (i + 1, m.Groups["target"].Value);
            }
        }
    }

    /// <summary>GitHub's anchors for the headings of a page (lower case, punctuation dropped, spaces to '-', duplicates numbered).</summary>
    public static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var fenced = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
                continue;
            }

            var heading = Heading().Match(line);
            if (fenced || !heading.Success)
            {
                continue;
            }

            var slug = Slug(heading.Groups["text"].Value);
            var unique = slug;
            for (var n = 1; !anchors.Add(unique); n++)
            {
                unique = $"{slug}-{n}";
            }
        }

        return anchors;
    }

    public static string Slug(string heading)
    {
        var sb = new StringBuilder();
        foreach (var c in heading.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
            {
                sb.Append(c);
            }
            else if (c == ' ')
            {
                sb.Append('-');
            }
        }

        return sb.ToString();
    }

    [GeneratedRegex(@"`[^`]*`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)(\s+""[^""]*"")?\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+?)\s*#*\s*$")]
    private static partial Regex Heading();
}
