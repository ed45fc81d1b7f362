using System.Text;

namespace Certfleet.Remote;

/// <summary>POSIX shell quoting: the remote shell sees each argument as exactly one word.</summary>
public static class ShellQuote
{
    /// <summary>Quotes one word; safe characters stay bare so logs remain readable.</summary>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length > 0 && word.All(IsSafe))
        {
            return word;
        }

        // Inside single quotes nothing is special except the quote itself, which is closed, escaped and reopened.
        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    public static string Join(IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        var sb = new StringBuilder();
        foreach (var w in words)
        {
            if (w.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException("ssh: an argument may not contain a NUL byte", nameof(words));
            }

            if (sb.Length > 0)
            {
                sb.Append(' ');
            }

            sb.Append(Quote(w));
        }

        return sb.ToString();
    }

    private static bool IsSafe(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/' or ':' or '=' or '+' or ',' or '@' or '%';
}

/// <summary>A command as an argument list; never a string put together from user input.</summary>
public sealed record RemoteCommand(IReadOnlyList<string> Arguments)
{
    public static RemoteCommand Of(params string[] arguments) => new(arguments);

    /// <summary>
    /// A fixed POSIX sh script, written in code, run with <paramref name="arguments"/> as $1, $2, ...;
    /// values reach the script only as positional parameters, so they are never parsed as shell code.
    /// </summary>
    public static RemoteCommand Script(string script, params string[] arguments) => new(["sh", "-c", script, "sh", .. arguments]);

    /// <summary>The command line sent to the remote shell, with <c>sudo -n --</c> in front when asked.</summary>
    public string ToCommandLine(bool sudo) => sudo ? ShellQuote.Join(["sudo", "-n", "--", .. Arguments]) : ShellQuote.Join(Arguments);

    public override string ToString() => ShellQuote.Join(Arguments);
}

/// <summary>What a remote command did.</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr, bool TimedOut = false)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;
}
