namespace Certfleet.Configuration;

/// <summary>
/// A secret value resolved from the configuration (literal, <c>env:NAME</c> or <c>file:PATH</c>).
/// Its <see cref="ToString"/> never shows the value, so it cannot leak into logs by accident.
/// </summary>
public sealed class Secret
{
    private readonly string _value;

    public Secret(string value, string source)
    {
        _value = value;
        Source = source;
    }

    /// <summary>Where the value came from, safe to print: "literal", "env:NAME" or "file:PATH".</summary>
    public string Source { get; }

    /// <summary>The secret itself; pass it only to the code that needs it.</summary>
    public string Reveal() => _value;

    public override string ToString() => $"<secret from {Source}>";

    /// <summary>
    /// Resolves a reference. Returns null and records an error when the variable or file cannot be read.
    /// </summary>
    public static Secret? Resolve(string text, SourceLocation location, ConfigErrors errors, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (text.StartsWith("env:", StringComparison.Ordinal))
        {
            var name = text[4..];
            var value = environment(name);
            if (string.IsNullOrEmpty(value))
            {
                errors.Add(location, $"environment variable {name} is not set; export it, or reference a file with file:PATH");
                return null;
            }

            return new Secret(value, text);
        }

        if (text.StartsWith("file:", StringComparison.Ordinal))
        {
            var path = text[5..];
            try
            {
                // A trailing newline is how editors save one-line secrets; it is never part of the secret.
                var value = File.ReadAllText(path).TrimEnd('\r', '\n');
                if (value.Length == 0)
                {
                    errors.Add(location, $"secret file {path} is empty; write the secret into it");
                    return null;
                }

                return new Secret(value, text);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add(location, $"cannot read secret file {path} ({Describe(e)}); check the path and that certfleet's user may read it");
                return null;
            }
        }

        return new Secret(text, "literal");
    }

    private static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "not found",
        UnauthorizedAccessException => "permission denied",
        _ => e.GetType().Name,
    };
}
