namespace Certfleet.Dns;

/// <summary>
/// A DNS provider failed (refused credentials, unreachable server, rejected update). The message starts
/// with <c>dns: </c>, names the provider and says what to check; it never contains secrets.
/// </summary>
public sealed class DnsProviderException : Exception, IDnsRequestRefusal
{
    /// <summary>The server refused the request outright, so it changed nothing (no record was created).</summary>
    public bool NothingChanged { get; init; }

    public DnsProviderException()
        : base("dns: the DNS provider failed")
    {
    }

    public DnsProviderException(string message)
        : base(Prefix(message))
    {
    }

    public DnsProviderException(string message, Exception innerException)
        : base(Prefix(message), innerException)
    {
    }

    private static string Prefix(string message) => message.StartsWith("dns: ", StringComparison.Ordinal) ? message : "dns: " + message;
}

/// <summary>
/// Implemented by provider exceptions that can prove a request changed nothing at the provider
/// (e.g. an authentication refusal): the journal entry written before the add can then be dropped.
/// </summary>
public interface IDnsRequestRefusal
{
    bool NothingChanged { get; }
}
