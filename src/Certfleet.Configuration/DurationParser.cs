using System.Globalization;

namespace Certfleet.Configuration;

/// <summary>Parses durations written as <c>500ms</c>, <c>90s</c>, <c>10m</c>, <c>2h</c>, <c>1d</c> or combinations like <c>1h30m</c>.</summary>
public static class DurationParser
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var s = text.Trim();
        if (s.Length == 0)
        {
            return false;
        }

        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (start == i || !double.TryParse(s[start..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]))
            {
                i++;
            }

            TimeSpan unit;
            switch (s[unitStart..i])
            {
                case "ms": unit = TimeSpan.FromMilliseconds(1); break;
                case "s": unit = TimeSpan.FromSeconds(1); break;
                case "m": unit = TimeSpan.FromMinutes(1); break;
                case "h": unit = TimeSpan.FromHours(1); break;
                case "d": unit = TimeSpan.FromDays(1); break;
                default: return false;
            }

            value += unit * number;
        }

        return true;
    }

    public static string Format(TimeSpan value)
    {
        if (value.TotalMilliseconds < 1000)
        {
            return $"{value.TotalMilliseconds:0}ms";
        }

        if (value.TotalDays >= 1 && value.TotalDays == Math.Floor(value.TotalDays))
        {
            return $"{value.TotalDays:0}d";
        }

        if (value.TotalHours >= 1 && value.TotalHours == Math.Floor(value.TotalHours))
        {
            return $"{value.TotalHours:0}h";
        }

        if (value.TotalMinutes >= 1 && value.TotalMinutes == Math.Floor(value.TotalMinutes))
        {
            return $"{value.TotalMinutes:0}m";
        }

        return $"{value.TotalSeconds:0.###}s";
    }
}
