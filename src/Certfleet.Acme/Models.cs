using System.Security.Cryptography.X509Certificates;

namespace Certfleet.Acme;

/// <summary>Object status (RFC 8555 §7.1.6).</summary>
public enum AcmeStatus
{
    /// <summary>A status this client does not know.</summary>
    Unknown,
    /// <summary>pending</summary>
    Pending,
    /// <summary>ready</summary>
    Ready,
    /// <summary>processing</summary>
    Processing,
    /// <summary>valid</summary>
    Valid,
    /// <summary>invalid</summary>
    Invalid,
    /// <summary>deactivated</summary>
    Deactivated,
    /// <summary>expired</summary>
    Expired,
    /// <summary>revoked</summary>
    Revoked,
}

/// <summary>An identifier (RFC 8555 §7.1.3); only "dns" is used here.</summary>
public sealed record AcmeIdentifier(string Type, string Value)
{
    /// <summary>A DNS identifier, wildcards included ("*.example.com").</summary>
    public static AcmeIdentifier Dns(string name) => new("dns", name);

    /// <inheritdoc />
    public override string ToString() => $"{Type}:{Value}";
}

/// <summary>The directory (RFC 8555 §7.1.1) with its optional meta and ARI/profile extensions.</summary>
public sealed record AcmeDirectory
{
    /// <summary>newNonce URL.</summary>
    public required Uri NewNonce { get; init; }
    /// <summary>newAccount URL.</summary>
    public required Uri NewAccount { get; init; }
    /// <summary>newOrder URL.</summary>
    public required Uri NewOrder { get; init; }
    /// <summary>revokeCert URL.</summary>
    public Uri? RevokeCert { get; init; }
    /// <summary>keyChange URL.</summary>
    public Uri? KeyChange { get; init; }
    /// <summary>newAuthz URL (pre-authorization), rarely offered.</summary>
    public Uri? NewAuthz { get; init; }
    /// <summary>renewalInfo URL (RFC 9773), when the CA supports ARI.</summary>
    public Uri? RenewalInfo { get; init; }
    /// <summary>meta.termsOfService.</summary>
    public Uri? TermsOfService { get; init; }
    /// <summary>meta.website.</summary>
    public Uri? Website { get; init; }
    /// <summary>meta.caaIdentities.</summary>
    public IReadOnlyList<string> CaaIdentities { get; init; } = [];
    /// <summary>meta.externalAccountRequired.</summary>
    public bool ExternalAccountRequired { get; init; }
    /// <summary>meta.profiles: name to description (draft-ietf-acme-profiles); empty when the CA offers none.</summary>
    public IReadOnlyDictionary<string, string> Profiles { get; init; } = new Dictionary<string, string>();
}

/// <summary>An account (RFC 8555 §7.1.2).</summary>
public sealed record AcmeAccount(Uri Url, AcmeStatus Status, IReadOnlyList<string> Contacts, bool? TermsOfServiceAgreed, Uri? Orders);

/// <summary>An order (RFC 8555 §7.1.3).</summary>
public sealed record AcmeOrder
{
    /// <summary>The order URL (Location of newOrder).</summary>
    public required Uri Url { get; init; }
    /// <summary>Status.</summary>
    public required AcmeStatus Status { get; init; }
    /// <summary>Identifiers as the CA echoes them.</summary>
    public required IReadOnlyList<AcmeIdentifier> Identifiers { get; init; }
    /// <summary>Authorization URLs.</summary>
    public required IReadOnlyList<Uri> Authorizations { get; init; }
    /// <summary>finalize URL.</summary>
    public required Uri Finalize { get; init; }
    /// <summary>certificate URL once valid.</summary>
    public Uri? Certificate { get; init; }
    /// <summary>expires.</summary>
    public DateTimeOffset? Expires { get; init; }
    /// <summary>The error that made the order invalid.</summary>
    public AcmeProblem? Error { get; init; }
    /// <summary>The profile the CA applied.</summary>
    public string? Profile { get; init; }
    /// <summary>The ARI CertID this order replaces.</summary>
    public string? Replaces { get; init; }
}

/// <summary>What to order.</summary>
public sealed record AcmeOrderRequest(IReadOnlyList<AcmeIdentifier> Identifiers)
{
    /// <summary>A profile from <see cref="AcmeDirectory.Profiles"/>; refused before ordering when not offered.</summary>
    public string? Profile { get; init; }
    /// <summary>The ARI CertID of the certificate this order renews (RFC 9773 §5); dropped when the CA has no renewalInfo.</summary>
    public AriCertId? Replaces { get; init; }
    /// <summary>Optional notBefore.</summary>
    public DateTimeOffset? NotBefore { get; init; }
    /// <summary>Optional notAfter.</summary>
    public DateTimeOffset? NotAfter { get; init; }

    /// <summary>An order for DNS names.</summary>
    public static AcmeOrderRequest ForDnsNames(params IEnumerable<string> names) => new([.. names.Select(AcmeIdentifier.Dns)]);
}

/// <summary>An authorization (RFC 8555 §7.1.4).</summary>
public sealed record AcmeAuthorization
{
    /// <summary>The authorization URL.</summary>
    public required Uri Url { get; init; }
    /// <summary>The identifier, without "*." for wildcards.</summary>
    public required AcmeIdentifier Identifier { get; init; }
    /// <summary>Status.</summary>
    public required AcmeStatus Status { get; init; }
    /// <summary>True when this authorization is for the wildcard name.</summary>
    public bool Wildcard { get; init; }
    /// <summary>expires.</summary>
    public DateTimeOffset? Expires { get; init; }
    /// <summary>Offered challenges.</summary>
    public required IReadOnlyList<AcmeChallenge> Challenges { get; init; }

    /// <summary>False when the CA already holds a valid authorization (reuse): nothing to publish.</summary>
    public bool RequiresChallenge => Status == AcmeStatus.Pending;

    /// <summary>The challenge of the given type ("dns-01"), or null when not offered.</summary>
    public AcmeChallenge? FindChallenge(string type = "dns-01") =>
        Challenges.FirstOrDefault(c => string.Equals(c.Type, type, StringComparison.Ordinal));

    /// <summary>The DNS-01 record name, "_acme-challenge.example.com" (same for the wildcard and the apex).</summary>
    public string Dns01RecordName => Dns01.RecordName(Identifier.Value);
}

/// <summary>A challenge (RFC 8555 §7.1.5, §8).</summary>
public sealed record AcmeChallenge(string Type, Uri Url, AcmeStatus Status, string? Token, DateTimeOffset? Validated, AcmeProblem? Error);

/// <summary>A downloaded certificate chain, leaf first.</summary>
public sealed record AcmeCertificateChain(Uri Url, string Pem, IReadOnlyList<X509Certificate2> Certificates, IReadOnlyList<Uri> AlternateUrls)
{
    /// <summary>The leaf certificate.</summary>
    public X509Certificate2 Leaf => Certificates[0];

    /// <summary>The CN of the issuer of the last certificate (the chain's top issuer), used for preferred-chain selection.</summary>
    public string? TopIssuerCommonName => Certificates.Count == 0 ? null : TopIssuerOf(Certificates);

    internal static string? TopIssuerOf(IReadOnlyList<X509Certificate2> chain)
    {
        var name = chain[^1].GetNameInfo(X509NameType.SimpleName, forIssuer: true);
        return string.IsNullOrEmpty(name) ? null : name;
    }
}

/// <summary>ARI renewal information (RFC 9773 §4.2).</summary>
public sealed record RenewalInfo(DateTimeOffset SuggestedWindowStart, DateTimeOffset SuggestedWindowEnd, Uri? ExplanationUrl, DateTimeOffset? RetryAfter)
{
    /// <summary>A uniformly random time in the suggested window (RFC 9773 §4.2 recommends this to spread load).</summary>
    public DateTimeOffset PickRenewalTime(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var span = SuggestedWindowEnd - SuggestedWindowStart;
        return span <= TimeSpan.Zero ? SuggestedWindowStart : SuggestedWindowStart + span * random.NextDouble();
    }
}

/// <summary>RFC 5280 §5.3.1 CRL reason codes accepted by revokeCert.</summary>
public enum RevocationReason
{
    /// <summary>unspecified (0)</summary>
    Unspecified = 0,
    /// <summary>keyCompromise (1)</summary>
    KeyCompromise = 1,
    /// <summary>affiliationChanged (3)</summary>
    AffiliationChanged = 3,
    /// <summary>superseded (4)</summary>
    Superseded = 4,
    /// <summary>cessationOfOperation (5)</summary>
    CessationOfOperation = 5,
}

/// <summary>External Account Binding credentials (RFC 8555 §7.3.4). The MAC key never appears in <see cref="ToString"/>.</summary>
public sealed class ExternalAccountBinding
{
    /// <summary>Creates a binding from the key id and the raw MAC key.</summary>
    public ExternalAccountBinding(string keyId, ReadOnlySpan<byte> macKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        KeyId = keyId;
        MacKey = macKey.ToArray();
    }

    /// <summary>The CA-issued key identifier.</summary>
    public string KeyId { get; }

    internal byte[] MacKey { get; }

    /// <summary>Creates a binding from the base64url MAC key as CAs hand it out.</summary>
    public static ExternalAccountBinding FromBase64Url(string keyId, string macKeyBase64Url)
    {
        ArgumentNullException.ThrowIfNull(macKeyBase64Url);
        return new(keyId, System.Buffers.Text.Base64Url.DecodeFromChars(macKeyBase64Url.TrimEnd('=')));
    }

    /// <inheritdoc />
    public override string ToString() => $"EAB {KeyId}";
}

/// <summary>Kinds of progress events.</summary>
public enum AcmeEventKind
{
    /// <summary>A request was answered.</summary>
    Response,
    /// <summary>The CA rejected a nonce; the request is retried with the error's nonce.</summary>
    BadNonceRetry,
    /// <summary>Waiting before polling again.</summary>
    Polling,
    /// <summary>newOrder answered alreadyReplaced; ordering again without "replaces".</summary>
    ReplacesDropped,
    /// <summary>A certificate chain was chosen.</summary>
    ChainSelected,
    /// <summary>Account created, found, updated, rolled over or deactivated.</summary>
    Account,
}

/// <summary>A progress event for the caller's log. Carries no keys or secrets.</summary>
public sealed record AcmeEvent(AcmeEventKind Kind, string Message, Uri? Url = null, int? HttpStatus = null, TimeSpan? Delay = null);

/// <summary>Client options.</summary>
public sealed record AcmeClientOptions
{
    /// <summary>Receives progress events; keys never reach it.</summary>
    public IProgress<AcmeEvent>? Progress { get; init; }
    /// <summary>How many times one request is retried after badNonce.</summary>
    public int MaxBadNonceRetries { get; init; } = 8;
    /// <summary>
    /// First poll delay when the CA sends no Retry-After; it doubles at each further poll up to <see cref="PollMaxDelay"/>
    /// (200 ms, 400 ms, 800 ms, 1.6 s, 3.2 s, then 5 s by default), so a CA that validates within milliseconds is seen at once.
    /// </summary>
    public TimeSpan PollInitialDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Largest poll delay when the CA sends no Retry-After. A Retry-After from the CA is always honoured, even when longer.</summary>
    public TimeSpan PollMaxDelay { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Overall limit for one polling loop (authorization, order readiness, finalization).</summary>
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromMinutes(3);
    /// <summary>User-Agent product; the default is "certfleet/VERSION".</summary>
    public string? UserAgent { get; init; }
}
