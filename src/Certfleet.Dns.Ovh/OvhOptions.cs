using Certfleet.Configuration;

namespace Certfleet.Dns.Ovh;

/// <summary>How certfleet authenticates to the OVH API.</summary>
public abstract record OvhAuthentication;

/// <summary>
/// An application (key + secret) and a consumer key, signing each call. The consumer key is null only
/// while one is being requested (<c>certfleet ovh credentials</c>).
/// </summary>
public sealed record OvhApplicationAuthentication(string ApplicationKey, Secret ApplicationSecret, Secret? ConsumerKey) : OvhAuthentication;

/// <summary>An OVHcloud service account: OAuth2 client credentials, sent as a bearer token.</summary>
public sealed record OvhOAuth2Authentication(string ClientId, Secret ClientSecret, Uri TokenUrl) : OvhAuthentication;

/// <summary>The validated options of one <c>type: ovh</c> provider.</summary>
/// <param name="Endpoint">The endpoint as written (a region name or a base URL).</param>
/// <param name="BaseUrl">The API base URL, e.g. https://eu.api.ovh.com/1.0 (no trailing slash).</param>
/// <param name="Authentication">Application + consumer key, or OAuth2 client credentials.</param>
/// <param name="Zone">The zone to use without discovery, or null to discover it with GET /domain/zone.</param>
/// <param name="Ttl">TTL of the TXT records created.</param>
/// <param name="RequestTimeout">Timeout of one HTTP call; timed-out calls are retried.</param>
public sealed record OvhOptions(
    string Endpoint,
    Uri BaseUrl,
    OvhAuthentication Authentication,
    string? Zone,
    int Ttl,
    TimeSpan RequestTimeout)
{
    public static readonly ConfigKey TypeKey = new(
        "type", ConfigValueKind.String, "Selects this provider.", Example: "ovh", Required: true, Allowed: ["ovh"]);

    public static readonly ConfigKey EndpointKey = new(
        "endpoint", ConfigValueKind.String,
        "The OVH API to call: a region name (ovh-eu, ovh-ca, ovh-us, kimsufi-eu, kimsufi-ca, soyoustart-eu, soyoustart-ca) or a base URL such as https://eu.api.ovh.com/1.0. Use the region where the account and its zones live: a key made on one region is unknown on the others.",
        Default: "ovh-eu", Example: "ovh-eu");

    public static readonly ConfigKey ApplicationKeyKey = new(
        "applicationKey", ConfigValueKind.String,
        "The application key (AK) shown when the application was created on the region's createApp page. Not a secret, but tied to the region.",
        Example: "TDPKJdwZwAQPwKX2");

    public static readonly ConfigKey ApplicationSecretKey = new(
        "applicationSecret", ConfigValueKind.Secret,
        "The application secret (AS) shown with the application key; signs every call. Keep it out of the file: env:NAME or file:PATH.",
        Example: "env:OVH_APPLICATION_SECRET");

    public static readonly ConfigKey ConsumerKeyKey = new(
        "consumerKey", ConfigValueKind.Secret,
        "The consumer key (CK) that `certfleet ovh credentials` requested and you validated; it carries the access rules. env:NAME or file:PATH.",
        Example: "env:OVH_CONSUMER_KEY");

    public static readonly ConfigKey ClientIdKey = new(
        "clientId", ConfigValueKind.String,
        "Instead of an application: the client id of an OVHcloud service account (OAuth2 client credentials). Do not combine with applicationKey.",
        Example: "EU.1a2b3c4d5e6f7a8b");

    public static readonly ConfigKey ClientSecretKey = new(
        "clientSecret", ConfigValueKind.Secret,
        "The service account's client secret; env:NAME or file:PATH.",
        Example: "file:/etc/certfleet/ovh-client-secret");

    public static readonly ConfigKey TokenUrlKey = new(
        "tokenUrl", ConfigValueKind.String,
        "OAuth2 token URL; only needed when endpoint is a base URL, otherwise the region's own token URL is used.",
        Example: "https://www.ovh.com/auth/oauth2/token");

    public static readonly ConfigKey ZoneKey = new(
        "zone", ConfigValueKind.String,
        "The OVH zone holding the records, e.g. example.com. Optional: by default the zone is the longest of the account's zones (GET /domain/zone) that the name ends with.",
        Example: "example.com");

    public static readonly ConfigKey TtlKey = new(
        "ttl", ConfigValueKind.Integer,
        "TTL in seconds of the TXT records created. OVH's minimum is 60.",
        Default: "60", Example: "60");

    public static readonly ConfigKey RequestTimeoutKey = new(
        "requestTimeout", ConfigValueKind.Duration,
        "Timeout of one API call; a call that times out or gets a 5xx is retried with backoff (4 tries in all).",
        Default: "30s", Example: "30s");

    /// <summary>The keys of a <c>type: ovh</c> provider section.</summary>
    public static ConfigSectionSchema Schema { get; } = new(
        "dns.providers.<name>",
        "Publishes DNS-01 TXT records through the OVH API (zones hosted at OVHcloud, Kimsufi or So you Start). Authenticate with an application and a consumer key, or with a service account (clientId/clientSecret).",
        [TypeKey, EndpointKey, ApplicationKeyKey, ApplicationSecretKey, ConsumerKeyKey, ClientIdKey, ClientSecretKey, TokenUrlKey, ZoneKey, TtlKey, RequestTimeoutKey]);

    /// <summary>
    /// Reads and validates a provider section. Every problem is recorded in <c>section.Errors</c> with its
    /// file and line; the result is null when any was found.
    /// </summary>
    /// <param name="requireConsumerKey">False when a consumer key is being requested and none exists yet.</param>
    public static OvhOptions? Read(ConfigNode section, bool requireConsumerKey = true)
    {
        ArgumentNullException.ThrowIfNull(section);
        var before = section.Errors.All.Count;
        section.RejectUnknownKeys(Schema);
        section.GetString(TypeKey);

        var endpoint = section.GetString(EndpointKey) ?? "ovh-eu";
        Uri? baseUrl = null;
        if (OvhEndpoints.BaseUrls.TryGetValue(endpoint, out var known))
        {
            baseUrl = known;
        }
        else if (Uri.TryCreate(endpoint.TrimEnd('/'), UriKind.Absolute, out var custom) && (custom.Scheme == Uri.UriSchemeHttps || custom.Scheme == Uri.UriSchemeHttp))
        {
            baseUrl = custom;
        }
        else
        {
            section.AddError(EndpointKey, $"'{endpoint}' is neither a region ({string.Join(", ", OvhEndpoints.BaseUrls.Keys)}) nor an http(s) base URL such as https://eu.api.ovh.com/1.0");
        }

        var hasApp = section.Has(ApplicationKeyKey) || section.Has(ApplicationSecretKey) || section.Has(ConsumerKeyKey);
        var hasOAuth = section.Has(ClientIdKey) || section.Has(ClientSecretKey);
        OvhAuthentication? auth = null;
        if (hasApp && hasOAuth)
        {
            section.AddError(section.Has(ClientIdKey) ? ClientIdKey : ClientSecretKey,
                "choose one way to authenticate: either applicationKey/applicationSecret/consumerKey or clientId/clientSecret (service account), not both");
        }
        else if (hasOAuth)
        {
            auth = ReadOAuth2(section, endpoint, baseUrl);
        }
        else if (hasApp)
        {
            auth = ReadApplication(section, requireConsumerKey);
        }
        else
        {
            section.AddError("ovh provider needs credentials: applicationKey, applicationSecret and consumerKey (see `certfleet ovh credentials`), or clientId and clientSecret of a service account");
        }

        if (section.Has(TokenUrlKey) && !hasOAuth)
        {
            section.AddError(TokenUrlKey, "only used with clientId/clientSecret; remove it");
        }

        string? zone = null;
        if (section.Has(ZoneKey))
        {
            zone = section.GetString(ZoneKey)?.Trim().TrimEnd('.').ToLowerInvariant();
            if (zone is not null && (zone.Length == 0 || zone.Contains(' ', StringComparison.Ordinal) || zone.StartsWith('.')))
            {
                section.AddError(ZoneKey, $"'{zone}' is not a domain name; write the zone as shown in the OVH control panel, e.g. example.com");
                zone = null;
            }
        }

        var ttl = section.GetInt(TtlKey, 60, 86400);
        var timeout = section.GetDuration(RequestTimeoutKey, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));

        if (section.Errors.All.Count > before || baseUrl is null || auth is null || ttl is null || timeout is null)
        {
            return null;
        }

        return new OvhOptions(endpoint, baseUrl, auth, zone, ttl.Value, timeout.Value);
    }

    private static OvhApplicationAuthentication? ReadApplication(ConfigNode section, bool requireConsumerKey)
    {
        if (!section.Has(ApplicationKeyKey))
        {
            section.AddError("applicationKey is required with applicationSecret; create an application on the region's createApp page (see docs/dns/ovh.md)");
        }

        if (!section.Has(ApplicationSecretKey))
        {
            section.AddError("applicationSecret is required with applicationKey; reference it as env:NAME or file:PATH");
        }

        if (requireConsumerKey && !section.Has(ConsumerKeyKey))
        {
            section.AddError("consumerKey is required; run `certfleet ovh credentials` to request one, validate it, then set consumerKey");
        }

        var key = section.Has(ApplicationKeyKey) ? section.GetString(ApplicationKeyKey) : null;
        var secret = section.Has(ApplicationSecretKey) ? section.GetSecret(ApplicationSecretKey) : null;
        var consumer = section.Has(ConsumerKeyKey) ? section.GetSecret(ConsumerKeyKey) : null;
        return key is null || secret is null || (requireConsumerKey && consumer is null) ? null : new OvhApplicationAuthentication(key, secret, consumer);
    }

    private static OvhOAuth2Authentication? ReadOAuth2(ConfigNode section, string endpoint, Uri? baseUrl)
    {
        if (!section.Has(ClientIdKey))
        {
            section.AddError("clientId is required with clientSecret (the service account's id)");
        }

        if (!section.Has(ClientSecretKey))
        {
            section.AddError("clientSecret is required with clientId; reference it as env:NAME or file:PATH");
        }

        var id = section.Has(ClientIdKey) ? section.GetString(ClientIdKey) : null;
        var secret = section.Has(ClientSecretKey) ? section.GetSecret(ClientSecretKey) : null;
        Uri? tokenUrl = null;
        if (section.Has(TokenUrlKey))
        {
            var text = section.GetString(TokenUrlKey);
            if (text is not null && !(Uri.TryCreate(text, UriKind.Absolute, out tokenUrl) && tokenUrl.Scheme is "https" or "http"))
            {
                section.AddError(TokenUrlKey, $"'{text}' is not an http(s) URL");
                tokenUrl = null;
            }
        }
        else if (OvhEndpoints.TokenUrls.TryGetValue(endpoint, out var known))
        {
            tokenUrl = known;
        }
        else if (baseUrl is not null)
        {
            section.AddError(ClientIdKey, OvhEndpoints.BaseUrls.ContainsKey(endpoint)
                ? $"endpoint {endpoint} has no service accounts; use an application and a consumer key there"
                : "with a base URL as endpoint, set tokenUrl too (the OAuth2 token URL of that API)");
        }

        return id is null || secret is null || tokenUrl is null ? null : new OvhOAuth2Authentication(id, secret, tokenUrl);
    }
}
