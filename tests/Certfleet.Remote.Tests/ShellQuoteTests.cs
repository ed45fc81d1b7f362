using System.Diagnostics;

namespace Certfleet.Remote.Tests;

public sealed class ShellQuoteTests
{
    [Theory]
    [InlineData("nginx", "nginx")]
    [InlineData("/etc/nginx/nginx.conf", "/etc/nginx/nginx.conf")]
    [InlineData("", "''")]
    [InlineData("a b", "'a b'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("$(rm -rf /)", "'$(rm -rf /)'")]
    public void Quotes_words(string word, string expected) => Assert.Equal(expected, ShellQuote.Quote(word));

    [Theory]
    [InlineData("plain")]
    [InlineData("with space and 'quotes' and \"double\"")]
    [InlineData("$HOME `id` $(id) ; | & > < * ? [a] ~ # \\ \n newline")]
    public void A_real_shell_sees_each_argument_unchanged(string arg)
    {
        var line = RemoteCommand.Of("printf", "%s|", arg, "second").ToCommandLine(sudo: false);
        using var p = Process.Start(new ProcessStartInfo("sh", ["-c", line]) { RedirectStandardOutput = true })!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal($"{arg}|second|", output);
    }

    [Fact]
    public void Sudo_is_non_interactive_and_ends_option_parsing()
    {
        Assert.Equal("sudo -n -- nginx -T", RemoteCommand.Of("nginx", "-T").ToCommandLine(sudo: true));
        Assert.Throws<ArgumentException>(() => RemoteCommand.Of("a\0b").ToCommandLine(false));
    }

    [Fact]
    public void Scripts_take_values_as_positional_parameters()
    {
        var line = RemoteCommand.Script("printf '%s' \"$1\"", "; echo injected").ToCommandLine(false);
        using var p = Process.Start(new ProcessStartInfo("sh", ["-c", line]) { RedirectStandardOutput = true })!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal("; echo injected", output);
    }
}
