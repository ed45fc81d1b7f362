using Certfleet.Cli;

namespace Certfleet.Docs.Tests;

public sealed class DocsTests
{
    private static readonly string Root = Markdown.RepositoryRoot();
    private static readonly string Docs = Path.Combine(Root, "docs");

    // Generated from the code in English only; French pages link to them.
    private static readonly string[] EnglishOnly = ["configuration.md", "cli.md"];

    public static TheoryData<string> Pages()
    {
        var data = new TheoryData<string>();
        foreach (var page in Directory.EnumerateFiles(Docs, "*.md", SearchOption.AllDirectories).Append(Path.Combine(Root, "README.md")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(Root, page));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_relative_link_and_anchor_resolves(string page)
    {
        var path = Path.Combine(Root, page);
        var broken = new List<string>();
        foreach (var (line, target) in Markdown.Links(File.ReadAllText(path)))
        {
            if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
            {
                continue;
            }

            var hash = target.IndexOf('#', StringComparison.Ordinal);
            var file = hash < 0 ? target : target[..hash];
            var anchor = hash < 0 ? null : Uri.UnescapeDataString(target[(hash + 1)..]);
            var resolved = file.Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, Uri.UnescapeDataString(file)));
            if (!resolved.StartsWith(Root, StringComparison.Ordinal))
            {
                broken.Add($"{page}:{line}: {target} leaves the repository");
            }
            else if (!File.Exists(resolved) && !Directory.Exists(resolved))
            {
                broken.Add($"{page}:{line}: {target} does not exist");
            }
            else if (anchor is not null && !(resolved.EndsWith(".md", StringComparison.Ordinal) && Markdown.Anchors(File.ReadAllText(resolved)).Contains(anchor)))
            {
                broken.Add($"{page}:{line}: {target}: no heading with anchor #{anchor}");
            }
        }

        Assert.True(broken.Count == 0, string.Join("\n", broken));
    }

    [Fact]
    public void The_french_tree_has_the_same_pages_as_the_english_one()
    {
        var french = Path.Combine(Docs, "fr");
        var english = Directory.EnumerateFiles(Docs, "*.md", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(french + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(Docs, p))
            .Where(p => !EnglishOnly.Contains(p))
            .Order(StringComparer.Ordinal)
            .ToList();
        var translated = Directory.EnumerateFiles(french, "*.md", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(french, p))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(english.Count > 10, $"docs/ has only {english.Count} pages");
        Assert.Equal(english, translated);
    }

    [Fact]
    public void The_committed_configuration_reference_is_what_the_code_generates()
    {
        using var services = CliHost.BuildServices(Console(), verbose: false);
        Assert.Equal(DocsCommand.ConfigurationReference(services), File.ReadAllText(Path.Combine(Docs, "configuration.md")));
    }

    [Fact]
    public void The_committed_cli_reference_is_what_the_code_generates()
    {
        Assert.Equal(ReferenceDocs.Cli(CliApplication.BuildRoot(Console())), File.ReadAllText(Path.Combine(Docs, "cli.md")));
    }

    [Fact]
    public void The_anchor_rules_match_githubs()
    {
        var anchors = Markdown.Anchors("# Top\n## `certificates.NAME`\n```\n# not a heading\n```\n## Dépannage : OVH\n## Top\n");
        Assert.Equal(["certificatesname", "dépannage--ovh", "top", "top-1"], anchors.Order(StringComparer.Ordinal));
    }

    private static CliConsole Console() => new(TextWriter.Null, TextWriter.Null, IsTerminal: false, _ => null);
}
