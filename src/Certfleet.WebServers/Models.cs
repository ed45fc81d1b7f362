namespace Certfleet.WebServers;

/// <summary>A place in a configuration file, printed as <c>file:line</c>.</summary>
public sealed record ConfigLocation(string File, int Line)
{
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>Something wrong or notable in a host's configuration; reported, never thrown.</summary>
public sealed record ConfigFinding(string Message, ConfigLocation? Location = null)
{
    public override string ToString() => Location is null ? Message : $"{Location}: {Message}";
}

/// <summary>A Java keystore a Tomcat connector uses; the password is recorded only as present or not.</summary>
public sealed record KeystoreInfo(string File, string? Type, string? Alias, bool HasPassword);

/// <summary>One TLS listener as the configuration declares it.</summary>
public sealed record TlsEndpoint(
    int Port,
    string? Address,
    IReadOnlyList<string> ServerNames,
    string? CertificateFile,
    string? CertificateKeyFile,
    string? CertificateChainFile,
    ConfigLocation Location,
    ConfigLocation? CertificateLocation = null,
    KeystoreInfo? Keystore = null);

/// <summary>What a parser found: endpoints and findings (never an exception for bad input).</summary>
public sealed record ParsedConfig(IReadOnlyList<TlsEndpoint> Endpoints, IReadOnlyList<ConfigFinding> Findings);

public enum WebServerKind
{
    Nginx,
    Apache,
    Tomcat,
}

/// <summary>A web server installed on a host.</summary>
/// <param name="Layout">For Apache: <c>httpd</c> (RHEL, /etc/httpd) or <c>apache2</c> (Debian, /etc/apache2); for Tomcat the CATALINA_BASE.</param>
public sealed record WebServerInfo(
    WebServerKind Kind,
    string Service,
    string? Version,
    bool Running,
    string ConfigRoot,
    string? Layout,
    IReadOnlyList<TlsEndpoint> Endpoints,
    IReadOnlyList<ConfigFinding> Findings);

/// <summary>Limits that keep a hostile or broken configuration from exhausting the controller.</summary>
public static class ConfigLimits
{
    public const long MaxFileBytes = 4 * 1024 * 1024;
    public const long MaxDumpBytes = 16 * 1024 * 1024;
    public const int MaxFiles = 1000;
    public const int MaxIncludeDepth = 16;

    /// <summary>True for text with NUL bytes or mostly unprintable characters: not a configuration file.</summary>
    public static bool LooksBinary(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            return true;
        }

        var sample = text.AsSpan(0, Math.Min(text.Length, 8192));
        var odd = 0;
        foreach (var c in sample)
        {
            if (c == '\uFFFD' || (char.IsControl(c) && c is not '\n' and not '\r' and not '\t'))
            {
                odd++;
            }
        }

        return sample.Length > 0 && odd * 10 > sample.Length;
    }
}
