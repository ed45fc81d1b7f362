using System.Text.Json;
using System.Text.RegularExpressions;
using Certfleet.Configuration;
using Microsoft.Extensions.Logging;

namespace Certfleet.Dns.Ovh;

/// <summary>One OVH access rule: an HTTP method and a path pattern where <c>*</c> matches anything.</summary>
public sealed record OvhAccessRule(string Method, string Path)
{
    public override string ToString() => $"{Method} {Path}";
}

/// <summary>A consumer key requested with POST /auth/credential; unusable until its owner opens <see cref="ValidationUrl"/>.</summary>
/// <param name="ConsumerKey">The new key; print it only where the operator copies it into the configuration.</param>
/// <param name="State">OVH's state of the key, normally <c>pendingValidation</c>.</param>
public sealed record OvhCredentialRequest(Uri ValidationUrl, Secret ConsumerKey, string State, IReadOnlyList<OvhAccessRule> Rules);

/// <summary>What a read of one zone told.</summary>
public sealed record OvhZoneCheck(string Zone, bool Readable, IReadOnlyList<string> NameServers, string? Error);

/// <summary>Result of <c>certfleet ovh check</c>.</summary>
/// <param name="Status">The credential's status (<c>validated</c>, <c>pendingValidation</c>, <c>expired</c>, ...), <c>service-account</c> for OAuth2, or <c>invalid</c> when OVH refused it.</param>
/// <param name="Expiration">When the consumer key expires; null when unlimited or unknown.</param>
/// <param name="Rules">The rules the consumer key carries.</param>
/// <param name="MissingRules">Rules certfleet needs on the zones that the key lacks.</param>
/// <param name="Error">OVH's refusal of the credential itself, as an <c>ovh: </c> message.</param>
public sealed record OvhCredentialCheck(
    string Status,
    DateTimeOffset? Expiration,
    IReadOnlyList<OvhAccessRule> Rules,
    IReadOnlyList<OvhAccessRule> MissingRules,
    IReadOnlyList<OvhZoneCheck> Zones,
    string? Error)
{
    /// <summary>True when certfleet can work with this credential on every zone checked.</summary>
    public bool Ok => Error is null && Status is "validated" or "service-account" && MissingRules.Count == 0 && Zones.All(z => z.Readable);
}

/// <summary>Requests and checks consumer keys (<c>certfleet ovh credentials</c> and <c>certfleet ovh check</c>).</summary>
public sealed class OvhCredentialService : IDisposable
{
    private readonly OvhOptions _options;
    private readonly OvhApiClient _api;

    public OvhCredentialService(OvhOptions options, DnsProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        _options = options;
        _api = new OvhApiClient(options, context.HttpHandlerFactory?.Invoke(), context.TimeProvider, context.LoggerFactory.CreateLogger<OvhCredentialService>());
    }

    /// <summary>The least-privilege rules for exactly the calls certfleet makes on <paramref name="zones"/>.</summary>
    public static IReadOnlyList<OvhAccessRule> RequiredRules(IEnumerable<string> zones)
    {
        ArgumentNullException.ThrowIfNull(zones);
        var rules = new List<OvhAccessRule> { new("GET", "/domain/zone") };
        foreach (var zone in zones.Select(OvhProvider.Normalize).Distinct(StringComparer.Ordinal))
        {
            rules.Add(new("GET", $"/domain/zone/{zone}"));
            rules.Add(new("GET", $"/domain/zone/{zone}/record"));
            rules.Add(new("POST", $"/domain/zone/{zone}/record"));
            rules.Add(new("GET", $"/domain/zone/{zone}/record/*"));
            rules.Add(new("DELETE", $"/domain/zone/{zone}/record/*"));
            rules.Add(new("POST", $"/domain/zone/{zone}/refresh"));
        }

        return rules;
    }

    /// <summary>
    /// POST /auth/credential with <see cref="RequiredRules"/>. Needs only the application key; the owner then
    /// opens the validation URL, logs in and chooses the validity ("Unlimited" avoids a silent expiry).
    /// </summary>
    /// <param name="redirection">Where OVH sends the browser after validation; null for OVH's default page.</param>
    public async Task<OvhCredentialRequest> RequestConsumerKeyAsync(IReadOnlyList<string> zones, Uri? redirection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(zones);
        if (zones.Count == 0)
        {
            throw new ArgumentException("at least one zone is needed", nameof(zones));
        }

        if (_options.Authentication is not OvhApplicationAuthentication)
        {
            throw new OvhApiException("ovh: a service account (clientId) gets its rights from an IAM policy, not from a consumer key; see docs/dns/ovh.md for the actions to allow");
        }

        var rules = RequiredRules(zones);
        var body = JsonSerializer.Serialize(
            new CredentialRequestBody(rules.Select(r => new AccessRuleBody(r.Method, r.Path)).ToList(), redirection?.AbsoluteUri),
            OvhJson.Default.CredentialRequestBody);
        var answer = await _api.SendAsync(HttpMethod.Post, "/auth/credential", body, authenticated: false, cancellationToken).ConfigureAwait(false);
        if (answer is not { ValueKind: JsonValueKind.Object } o
            || !o.TryGetProperty("validationUrl", out var url) || !Uri.TryCreate(url.GetString(), UriKind.Absolute, out var validationUrl)
            || !o.TryGetProperty("consumerKey", out var ck) || string.IsNullOrEmpty(ck.GetString()))
        {
            throw new OvhApiException($"ovh: POST /auth/credential on {_options.BaseUrl} answered without validationUrl/consumerKey; check endpoint");
        }

        var state = o.TryGetProperty("state", out var s) ? s.GetString() ?? "" : "";
        return new OvhCredentialRequest(validationUrl, new Secret(ck.GetString()!, "POST /auth/credential"), state, rules);
    }

    /// <summary>GET /auth/currentCredential and a read of each zone; refusals are reported, not thrown.</summary>
    public async Task<OvhCredentialCheck> CheckAsync(IReadOnlyList<string> zones, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(zones);
        var status = "service-account";
        DateTimeOffset? expiration = null;
        var rules = new List<OvhAccessRule>();
        var missing = new List<OvhAccessRule>();
        if (_options.Authentication is OvhApplicationAuthentication)
        {
            JsonElement? current;
            try
            {
                current = await _api.GetAsync("/auth/currentCredential", cancellationToken).ConfigureAwait(false);
            }
            catch (OvhApiException e) when (e.Status is not null && (int)e.Status < 500)
            {
                return new OvhCredentialCheck("invalid", null, [], [], [], e.Message);
            }

            if (current is { ValueKind: JsonValueKind.Object } c)
            {
                status = c.TryGetProperty("status", out var st) ? st.GetString() ?? "unknown" : "unknown";
                if (c.TryGetProperty("expiration", out var ex) && ex.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(ex.GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var when))
                {
                    expiration = when;
                }

                if (c.TryGetProperty("rules", out var rs) && rs.ValueKind == JsonValueKind.Array)
                {
                    foreach (var r in rs.EnumerateArray())
                    {
                        var method = r.TryGetProperty("method", out var m) ? m.GetString() : null;
                        var path = r.TryGetProperty("path", out var p) ? p.GetString() : null;
                        if (method is not null && path is not null)
                        {
                            rules.Add(new OvhAccessRule(method, path));
                        }
                    }
                }
            }

            missing.AddRange(RequiredRules(zones).Where(req => !rules.Any(g => Covers(g, req))));
        }

        var checks = new List<OvhZoneCheck>();
        foreach (var zone in zones.Select(OvhProvider.Normalize).Distinct(StringComparer.Ordinal))
        {
            try
            {
                var info = await _api.GetAsync($"/domain/zone/{Uri.EscapeDataString(zone)}", cancellationToken).ConfigureAwait(false);
                var ns = info is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty("nameServers", out var n) && n.ValueKind == JsonValueKind.Array
                    ? n.EnumerateArray().Select(e => e.GetString() ?? "").Where(x => x.Length > 0).ToList()
                    : [];
                checks.Add(new OvhZoneCheck(zone, true, ns, null));
            }
            catch (OvhApiException e)
            {
                checks.Add(new OvhZoneCheck(zone, false, [], e.Message));
            }
        }

        return new OvhCredentialCheck(status, expiration, rules, missing, checks, null);
    }

    /// <summary>Whether a granted rule allows the calls of a required one (a required <c>*</c> stands for any id).</summary>
    public static bool Covers(OvhAccessRule granted, OvhAccessRule required)
    {
        ArgumentNullException.ThrowIfNull(granted);
        ArgumentNullException.ThrowIfNull(required);
        if (!string.Equals(granted.Method, required.Method, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var sample = required.Path.Replace("*", "1", StringComparison.Ordinal);
        return Matches(granted.Path, sample);
    }

    /// <summary>OVH's rule matching: <c>*</c> matches any run of characters, slashes included.</summary>
    public static bool Matches(string pattern, string path)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var regex = "^" + string.Join(".*", pattern.Split('*').Select(Regex.Escape)) + "$";
        return Regex.IsMatch(path, regex, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    public void Dispose() => _api.Dispose();
}
