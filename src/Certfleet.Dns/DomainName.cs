using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Certfleet.Dns;

/// <summary>
/// A certificate name after normalisation: lower-case A-labels, no trailing dot, optionally a wildcard
/// (<c>*.</c> as the whole left-most label, RFC 8555 §7.1.3).
/// </summary>
public sealed record DomainName
{
    private const int MaxLength = 253;
    private const int MaxLabel = 63;
    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true, AllowUnassigned = false };

    private DomainName(string value) => Value = value;

    /// <summary>The normalised name, e.g. <c>*.xn--caf-dma.example.test</c>.</summary>
    public string Value { get; }

    public bool IsWildcard => Value.StartsWith("*.", StringComparison.Ordinal);

    /// <summary>The name without the wildcard label: what DNS-01 validates (RFC 8555 §8.4).</summary>
    public string Base => IsWildcard ? Value[2..] : Value;

    /// <summary>The TXT record name of the DNS-01 challenge: <c>_acme-challenge.</c> + <see cref="Base"/>.</summary>
    public string ChallengeRecordName => Dns01Challenge.RecordNameFor(Base);

    public override string ToString() => Value;

    /// <summary>Normalises and validates; <paramref name="error"/> is a one-line reason when it returns false.</summary>
    public static bool TryParse(string? input, [NotNullWhen(true)] out DomainName? name, [NotNullWhen(false)] out string? error)
    {
        name = null;
        var text = (input ?? "").Trim();
        error = Check(text, out var normalised);
        if (error is not null)
        {
            error = $"dns: '{text}' is not a valid name: {error}";
            return false;
        }

        name = new DomainName(normalised!);
        return true;
    }

    /// <summary>Normalises and validates; throws <see cref="FormatException"/> with the reason.</summary>
    public static DomainName Parse(string input) =>
        TryParse(input, out var name, out var error) ? name : throw new FormatException(error);

    private static string? Check(string text, out string? normalised)
    {
        normalised = null;
        if (text.Length == 0)
        {
            return "the name is empty";
        }

        if (text.EndsWith('.'))
        {
            text = text[..^1];
            if (text.EndsWith('.'))
            {
                return "a label is empty (two dots in a row)";
            }
        }

        if (IPAddress.TryParse(text.Trim('[', ']'), out _))
        {
            return "IP addresses cannot be used; certificates here are for DNS names";
        }

        var wildcard = false;
        if (text.StartsWith("*.", StringComparison.Ordinal))
        {
            wildcard = true;
            text = text[2..];
        }

        if (text.Contains('*', StringComparison.Ordinal))
        {
            return "a wildcard is allowed only as the whole left-most label ('*.example.com')";
        }

        var labels = text.Split('.');
        if (labels.Any(l => l.Length == 0))
        {
            return "a label is empty (two dots in a row, or a leading dot)";
        }

        // Convert each label on its own so that the error names the label; IdnMapping also lower-cases.
        var ascii = new string[labels.Length];
        for (var i = 0; i < labels.Length; i++)
        {
            var label = labels[i];
            if (label.All(char.IsAscii))
            {
                ascii[i] = label.ToLowerInvariant();
            }
            else
            {
                try
                {
                    ascii[i] = Idn.GetAscii(label).ToLowerInvariant();
                }
                catch (ArgumentException)
                {
                    return $"the label '{label}' is not a valid internationalised label (IDNA)";
                }
            }

            var error = CheckLabel(ascii[i]);
            if (error is not null)
            {
                return error;
            }
        }

        if (labels.Length < 2)
        {
            return "it needs at least two labels, e.g. example.com";
        }

        var result = string.Join('.', ascii);
        if (IPAddress.TryParse(result, out _))
        {
            return "IP addresses cannot be used; certificates here are for DNS names";
        }

        if (char.IsAsciiDigit(ascii[^1][0]) && ascii[^1].All(char.IsAsciiDigit))
        {
            return "the last label is all digits, so it looks like an IP address";
        }

        if (wildcard)
        {
            result = "*." + result;
        }

        if (result.Length > MaxLength)
        {
            return $"it is {result.Length} characters long; at most {MaxLength} are allowed";
        }

        normalised = result;
        return null;
    }

    private static string? CheckLabel(string label)
    {
        if (label.Length > MaxLabel)
        {
            return $"the label '{label[..10]}...' is {label.Length} characters long; at most {MaxLabel} are allowed";
        }

        if (label.StartsWith('-'))
        {
            return "a label may not start with a hyphen";
        }

        if (label.EndsWith('-'))
        {
            return "a label may not end with a hyphen";
        }

        foreach (var c in label)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return $"the character '{c}' is not allowed; use letters, digits and hyphens";
            }
        }

        return null;
    }
}
