namespace Certfleet.Dns.Tests;

public sealed class DomainNameTests
{
    [Theory]
    [InlineData("example.com", "example.com")]
    [InlineData("  WWW.Example.COM  ", "www.example.com")]
    [InlineData("example.com.", "example.com")]
    [InlineData("*.example.com", "*.example.com")]
    [InlineData("*.Sub.Example.com", "*.sub.example.com")]
    [InlineData("café.example.test", "xn--caf-dma.example.test")]
    [InlineData("*.CAFÉ.example.test", "*.xn--caf-dma.example.test")]
    [InlineData("a-b.c0.example", "a-b.c0.example")]
    [InlineData("xn--caf-dma.example.test", "xn--caf-dma.example.test")]
    public void Valid_names_are_normalised(string input, string expected)
    {
        Assert.True(DomainName.TryParse(input, out var name, out var error), error);
        Assert.Equal(expected, name.Value);
        Assert.Equal(expected.StartsWith("*.", StringComparison.Ordinal), name.IsWildcard);
    }

    [Theory]
    [InlineData("-x.example.com", "dns: '-x.example.com' is not a valid name: a label may not start with a hyphen")]
    [InlineData("x-.example.com", "a label may not end with a hyphen")]
    [InlineData("*.*.example.com", "wildcard is allowed only as the whole left-most label")]
    [InlineData("a*.example.com", "wildcard is allowed only as the whole left-most label")]
    [InlineData("www.*.example.com", "wildcard is allowed only as the whole left-most label")]
    [InlineData("localhost", "at least two labels")]
    [InlineData("*.com.", "at least two labels")]
    [InlineData("", "the name is empty")]
    [InlineData("a..example.com", "a label is empty")]
    [InlineData(".example.com", "a label is empty")]
    [InlineData("under_score.example.com", "the character '_' is not allowed")]
    [InlineData("sp ace.example.com", "the character ' ' is not allowed")]
    [InlineData("192.0.2.1", "IP addresses cannot be used")]
    [InlineData("::1", "IP addresses cannot be used")]
    [InlineData("[2001:db8::1]", "IP addresses cannot be used")]
    [InlineData("example.123", "looks like an IP address")]
    public void Invalid_names_are_refused_with_a_reason(string input, string reason)
    {
        Assert.False(DomainName.TryParse(input, out var name, out var error));
        Assert.Null(name);
        Assert.StartsWith("dns: '", error, StringComparison.Ordinal);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void A_label_of_64_characters_is_refused_and_63_accepted()
    {
        Assert.True(DomainName.TryParse(new string('a', 63) + ".example.com", out _, out _));
        Assert.False(DomainName.TryParse(new string('a', 64) + ".example.com", out _, out var error));
        Assert.Contains("is 64 characters long; at most 63", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_of_253_characters_are_accepted_and_254_refused()
    {
        var l63 = new string('a', 63);
        var fits = $"{l63}.{l63}.{l63}.{new string('x', 57)}.com";
        var tooLong = $"{l63}.{l63}.{l63}.{new string('x', 58)}.com";
        Assert.Equal(253, fits.Length);
        Assert.True(DomainName.TryParse(fits, out var name, out var e1), e1);
        Assert.Equal(fits, name.Value);
        Assert.False(DomainName.TryParse(tooLong, out _, out var error));
        Assert.Contains("it is 254 characters long; at most 253", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_internationalised_labels_are_refused()
    {
        Assert.False(DomainName.TryParse("a\u00ADb\u200D\u0301.example.test", out _, out var error));
        Assert.StartsWith("dns: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_throws_the_same_reason()
    {
        var e = Assert.Throws<FormatException>(() => DomainName.Parse("-x.example.com"));
        Assert.Equal("dns: '-x.example.com' is not a valid name: a label may not start with a hyphen", e.Message);
    }

    [Theory]
    [InlineData("example.com", "_acme-challenge.example.com")]
    [InlineData("*.example.com", "_acme-challenge.example.com")]
    [InlineData("*.CAFÉ.example.test", "_acme-challenge.xn--caf-dma.example.test")]
    [InlineData("www.example.com.", "_acme-challenge.www.example.com")]
    public void The_challenge_record_name_drops_the_wildcard(string input, string expected)
    {
        var name = DomainName.Parse(input);
        Assert.Equal(expected, name.ChallengeRecordName);
        Assert.Equal(expected, new Dns01Challenge(name, "v", "p").RecordName);
    }
}
