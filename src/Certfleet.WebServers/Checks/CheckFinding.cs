namespace Certfleet.WebServers.Checks;

public enum CheckSeverity
{
    Info,
    Warning,
    Error,
}

/// <summary>
/// One result of <c>certfleet check</c>: what is wrong, where, and what to do about it.
/// <paramref name="Code"/> is a stable identifier for scripts (e.g. <c>key-mismatch</c>).
/// </summary>
public sealed record CheckFinding(
    CheckSeverity Severity,
    string Code,
    string Host,
    string WebServer,
    ConfigLocation? Location,
    string Message,
    string Remediation)
{
    public override string ToString() => $"{Severity.ToString().ToLowerInvariant()} {Host} {WebServer} {Location?.ToString() ?? "-"}: {Message} ({Remediation})";
}

/// <summary>Tunables of a check run.</summary>
/// <param name="WarningWindow">A certificate that expires sooner than this is a warning.</param>
/// <param name="Now">The clock of the run.</param>
public sealed record CheckOptions(TimeSpan WarningWindow, DateTimeOffset Now)
{
    public static CheckOptions Default(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return new CheckOptions(TimeSpan.FromDays(14), time.GetUtcNow());
    }
}

/// <summary>What a check learned about the host besides the web server itself.</summary>
/// <param name="SeLinuxEnforcing">SELinux enforces on a RHEL-family host: certificate files must be labelled cert_t.</param>
public sealed record CheckHostContext(string HostName, bool SeLinuxEnforcing)
{
    /// <summary>Groups that deployment gives the private keys it places on this host (deploy.group): reading by them is intended.</summary>
    public IReadOnlySet<string> KeyGroups { get; init; } = new HashSet<string>(StringComparer.Ordinal);
}

/// <summary>Collects findings of one web server on one host.</summary>
internal sealed class FindingSink(string host, string webServer)
{
    public List<CheckFinding> Items { get; } = [];

    public void Error(string code, ConfigLocation? at, string message, string fix) => Items.Add(new(CheckSeverity.Error, code, host, webServer, at, message, fix));

    public void Warning(string code, ConfigLocation? at, string message, string fix) => Items.Add(new(CheckSeverity.Warning, code, host, webServer, at, message, fix));

    public void Info(string code, ConfigLocation? at, string message, string fix) => Items.Add(new(CheckSeverity.Info, code, host, webServer, at, message, fix));
}
