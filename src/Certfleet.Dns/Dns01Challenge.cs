namespace Certfleet.Dns;

/// <summary>
/// One DNS-01 challenge to publish: the TXT <paramref name="Value"/> for certificate name
/// <paramref name="Name"/>, written through the provider called <paramref name="Provider"/>.
/// </summary>
public sealed record Dns01Challenge(DomainName Name, string Value, string Provider)
{
    private const string Label = "_acme-challenge.";

    /// <summary>Where the TXT record goes (RFC 8555 §8.4): the wildcard label is dropped.</summary>
    public string RecordName => RecordNameFor(Name.Base);

    /// <summary><c>_acme-challenge.</c> + the name without a leading <c>*.</c> and trailing dot.</summary>
    public static string RecordNameFor(string name)
    {
        var n = name.Trim().TrimEnd('.').ToLowerInvariant();
        if (n.StartsWith("*.", StringComparison.Ordinal))
        {
            n = n[2..];
        }

        return Label + n;
    }
}
