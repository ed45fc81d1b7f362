using Certfleet.Configuration;
using Microsoft.Extensions.Logging;

namespace Certfleet.Dns;

/// <summary>
/// A TXT record that a provider created. It is persisted before the challenge is answered, so that
/// a later run can remove it even if this one was killed. <see cref="Data"/> holds what the
/// provider needs to find the record again (e.g. OVH's record id); it must not hold secrets.
/// </summary>
public sealed record DnsRecordHandle(
    string Provider,
    string Fqdn,
    string Value,
    string Zone,
    IReadOnlyDictionary<string, string> Data);

/// <summary>A DNS provider that can publish and remove DNS-01 TXT records (RFC 8555 §8.4).</summary>
public interface IDnsProvider
{
    /// <summary>The provider's configured name (the key under <c>dns.providers</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Adds one TXT value at <paramref name="fqdn"/> (no trailing dot). Never replaces other values at
    /// that name: a wildcard and its apex need two values at one name at the same time.
    /// </summary>
    Task<DnsRecordHandle> AddTxtRecordAsync(string fqdn, string value, CancellationToken cancellationToken);

    /// <summary>Makes added records visible (OVH's zone refresh); a no-op where adds are live at once.</summary>
    Task PublishAsync(IReadOnlyList<DnsRecordHandle> added, CancellationToken cancellationToken);

    /// <summary>
    /// Removes records this program created, and only those. A handle may come from a killed run and
    /// lack provider data (the add was sent but not recorded): match by name and value then.
    /// Removing a record that is already gone succeeds.
    /// </summary>
    Task RemoveTxtRecordsAsync(IReadOnlyList<DnsRecordHandle> handles, CancellationToken cancellationToken);

    /// <summary>
    /// The zone's authoritative nameservers as the provider knows them (host names or addresses), or
    /// null to discover them from the zone's NS records.
    /// </summary>
    Task<IReadOnlyList<string>?> GetAuthoritativeNameserversAsync(string zone, CancellationToken cancellationToken);
}

/// <summary>
/// Optional: a provider that can prove, without changing anything, that it may update the zones of
/// <c>recordNames</c>. Run before any order, so bad credentials fail before state is touched.
/// </summary>
public interface IDnsProviderPreflight
{
    Task PreflightAsync(IReadOnlyList<string> recordNames, CancellationToken cancellationToken);
}

/// <summary>What a provider factory gets from the host application.</summary>
public sealed record DnsProviderContext(ILoggerFactory LoggerFactory, TimeProvider TimeProvider, Func<HttpMessageHandler>? HttpHandlerFactory = null);

/// <summary>
/// Creates providers of one <see cref="Type"/> (the <c>type:</c> key) from their configuration section.
/// Registered explicitly in DI and looked up by type name.
/// </summary>
public interface IDnsProviderFactory
{
    /// <summary>The value of <c>type:</c> that selects this factory, e.g. <c>rfc2136</c>.</summary>
    string Type { get; }

    /// <summary>The keys of the provider section (including <c>type</c>), for validation and the generated reference.</summary>
    ConfigSectionSchema Schema { get; }

    /// <summary>
    /// Validates <paramref name="section"/>; records every problem in <c>section.Errors</c> and returns
    /// null when invalid. Creating a provider makes no network call.
    /// </summary>
    IDnsProvider? Create(string name, ConfigNode section, DnsProviderContext context);
}
