namespace Certfleet.Configuration;

/// <summary>Where a value stands in a configuration file (1-based line and column).</summary>
public sealed record SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}" : File;
}

/// <summary>One validation error, printed as <c>file:line:col: message</c>.</summary>
public sealed record ConfigError(SourceLocation Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}

/// <summary>Collects every error of a configuration so that all are reported at once.</summary>
public sealed class ConfigErrors
{
    private readonly List<ConfigError> _errors = [];

    public IReadOnlyList<ConfigError> All => _errors;

    public bool HasErrors => _errors.Count > 0;

    public void Add(SourceLocation location, string message) => _errors.Add(new ConfigError(location, message));

    /// <summary>Throws <see cref="ConfigurationException"/> when any error was collected.</summary>
    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new ConfigurationException(_errors.OrderBy(e => e.Location.Line).ThenBy(e => e.Location.Column).ToList());
        }
    }
}

/// <summary>The configuration is invalid; <see cref="Errors"/> holds every problem found.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(IReadOnlyList<ConfigError> errors)
        : base(Format(errors)) => Errors = errors;

    public ConfigurationException(string message)
        : base(message) => Errors = [];

    public ConfigurationException()
        : this("config: invalid configuration")
    {
    }

    public ConfigurationException(string message, Exception innerException)
        : base(message, innerException) => Errors = [];

    public IReadOnlyList<ConfigError> Errors { get; }

    private static string Format(IReadOnlyList<ConfigError> errors) =>
        errors.Count == 1
            ? $"config: {errors[0]}"
            : $"config: {errors.Count} errors:" + string.Concat(errors.Select(e => "\n  " + e));
}
