using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Reflection;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Certfleet.Acme;

/// <summary>
/// An RFC 8555 client for one directory and one account key. Thread-safe for concurrent calls.
/// The caller owns the <see cref="HttpClient"/> and the keys.
/// </summary>
public sealed partial class AcmeClient
{
    private const string JoseJson = "application/jose+json";
    private const string PemChain = "application/pem-certificate-chain";

    private readonly Uri _directoryUri;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly AcmeClientOptions _options;
    private readonly ConcurrentQueue<string> _nonces = new();
    private readonly string _userAgent;
    private AcmeDirectory? _directory;

    /// <summary>Creates a client. Nothing is sent until the first call.</summary>
    public AcmeClient(Uri directoryUri, AcmeAccountKey accountKey, HttpClient httpClient, TimeProvider? timeProvider = null, AcmeClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(directoryUri);
        ArgumentNullException.ThrowIfNull(accountKey);
        ArgumentNullException.ThrowIfNull(httpClient);
        _directoryUri = directoryUri;
        AccountKey = accountKey;
        _http = httpClient;
        _time = timeProvider ?? TimeProvider.System;
        _options = options ?? new AcmeClientOptions();
        _userAgent = _options.UserAgent ?? DefaultUserAgent;
    }

    /// <summary>"certfleet/VERSION", sent on every request (RFC 8555 §6.1).</summary>
    public static string DefaultUserAgent { get; } = "certfleet/" + (typeof(AcmeClient).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0");

    /// <summary>The directory URL.</summary>
    public Uri DirectoryUri => _directoryUri;

    /// <summary>The current account key (replaced by <see cref="ChangeKeyAsync"/>).</summary>
    public AcmeAccountKey AccountKey { get; private set; }

    /// <summary>The account URL ("kid"), known after create/find or <see cref="UseAccount"/>.</summary>
    public Uri? AccountUrl { get; private set; }

    /// <summary>Uses a known account URL (stored from an earlier run) instead of looking it up.</summary>
    public void UseAccount(Uri accountUrl) => AccountUrl = accountUrl ?? throw new ArgumentNullException(nameof(accountUrl));

    // ---------------------------------------------------------------- directory

    /// <summary>Fetches (once) and returns the directory.</summary>
    public async Task<AcmeDirectory> GetDirectoryAsync(CancellationToken cancellationToken = default)
    {
        if (_directory is { } cached)
        {
            return cached;
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, _directoryUri);
        var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response);
        var json = Json.Parse(response.Body)
            ?? throw new AcmeException($"acme: {_directoryUri} did not return a JSON directory; check the directory URL");
        Uri Required(string name) => json.Url(name, _directoryUri)
            ?? throw new AcmeException($"acme: the directory at {_directoryUri} has no \"{name}\"; is this an ACME directory URL?");
        var meta = json["meta"] as JsonObject;
        var profiles = new Dictionary<string, string>(StringComparer.Ordinal);
        if (meta?["profiles"] is JsonObject p)
        {
            foreach (var (name, description) in p)
            {
                profiles[name] = description is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
            }
        }

        var directory = new AcmeDirectory
        {
            NewNonce = Required("newNonce"),
            NewAccount = Required("newAccount"),
            NewOrder = Required("newOrder"),
            RevokeCert = json.Url("revokeCert", _directoryUri),
            KeyChange = json.Url("keyChange", _directoryUri),
            NewAuthz = json.Url("newAuthz", _directoryUri),
            RenewalInfo = json.Url("renewalInfo", _directoryUri),
            TermsOfService = meta.Url("termsOfService"),
            Website = meta.Url("website"),
            CaaIdentities = meta.Strings("caaIdentities"),
            ExternalAccountRequired = meta.Bool("externalAccountRequired") ?? false,
            Profiles = profiles,
        };
        _directory = directory;
        return directory;
    }

    // ---------------------------------------------------------------- account

    /// <summary>Creates the account (or returns the existing one for this key), RFC 8555 §7.3.</summary>
    /// <param name="contacts">E-mail addresses; "mailto:" is added when missing.</param>
    /// <param name="termsOfServiceAgreed">Whether the operator agreed to <see cref="AcmeDirectory.TermsOfService"/>.</param>
    /// <param name="externalAccountBinding">EAB credentials when the CA requires them.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<AcmeAccount> CreateAccountAsync(IReadOnlyList<string> contacts, bool termsOfServiceAgreed,
        ExternalAccountBinding? externalAccountBinding = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        if (directory.ExternalAccountRequired && externalAccountBinding is null)
        {
            throw new AcmeException($"acme: {_directoryUri} requires External Account Binding; configure the EAB key id and MAC key from the CA");
        }

        var payload = new JsonObject
        {
            ["termsOfServiceAgreed"] = termsOfServiceAgreed,
            ["contact"] = ContactArray(contacts),
        };
        if (externalAccountBinding is not null)
        {
            payload["externalAccountBinding"] = Jws.ExternalAccountBinding(externalAccountBinding, AccountKey, directory.NewAccount);
        }

        var response = await PostAsync(directory.NewAccount, payload, AccountKey, useJwk: true, cancellationToken).ConfigureAwait(false);
        AccountUrl = response.Location ?? throw new AcmeException("acme: newAccount answered without a Location header");
        var account = ParseAccount(AccountUrl, response);
        Report(AcmeEventKind.Account, response.Status == 201 ? "account created" : "account exists", AccountUrl);
        return account;
    }

    /// <summary>Finds the account of this key without creating one (onlyReturnExisting); null when there is none.</summary>
    public async Task<AcmeAccount?> FindAccountAsync(CancellationToken cancellationToken = default)
    {
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        AcmeResponse response;
        try
        {
            response = await PostAsync(directory.NewAccount, new JsonObject { ["onlyReturnExisting"] = true }, AccountKey, useJwk: true, cancellationToken).ConfigureAwait(false);
        }
        catch (AcmeProblemException ex) when (ex.Problem.Is("accountDoesNotExist"))
        {
            return null;
        }

        AccountUrl = response.Location ?? throw new AcmeException("acme: newAccount answered without a Location header");
        Report(AcmeEventKind.Account, "account found", AccountUrl);
        return ParseAccount(AccountUrl, response);
    }

    /// <summary>Reads the account (POST-as-GET).</summary>
    public async Task<AcmeAccount> GetAccountAsync(CancellationToken cancellationToken = default)
    {
        var url = RequireAccount();
        var response = await PostAsync(url, null, AccountKey, useJwk: false, cancellationToken).ConfigureAwait(false);
        return ParseAccount(url, response);
    }

    /// <summary>Replaces the account's contacts (§7.3.2).</summary>
    public async Task<AcmeAccount> UpdateContactsAsync(IReadOnlyList<string> contacts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var url = RequireAccount();
        var response = await PostAsync(url, new JsonObject { ["contact"] = ContactArray(contacts) }, AccountKey, useJwk: false, cancellationToken).ConfigureAwait(false);
        Report(AcmeEventKind.Account, "contacts updated", url);
        return ParseAccount(url, response);
    }

    /// <summary>
    /// Rolls the account over to <paramref name="newKey"/> (§7.3.5). On success <see cref="AccountKey"/> is the new key;
    /// the caller stores it and disposes the old one.
    /// </summary>
    public async Task ChangeKeyAsync(AcmeAccountKey newKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(newKey);
        var url = RequireAccount();
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        var keyChange = directory.KeyChange ?? throw new AcmeException($"acme: {_directoryUri} offers no keyChange; key rollover is not possible at this CA");
        if (newKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(AccountKey.ExportSubjectPublicKeyInfo()))
        {
            throw new AcmeException("acme: the new account key is the current one; generate a new key for rollover");
        }

        // Inner JWS: signed by the new key, jwk header, no nonce, same url as the outer one.
        var innerPayload = new JsonObject { ["account"] = url.ToString(), ["oldKey"] = JsonNode.Parse(AccountKey.JwkJson) };
        var inner = Jws.Sign(newKey, Jws.Header(newKey, keyChange, nonce: null, kid: null), Json.Utf8(innerPayload));
        await PostAsync(keyChange, inner, AccountKey, useJwk: false, cancellationToken).ConfigureAwait(false);
        AccountKey = newKey;
        Report(AcmeEventKind.Account, "account key rolled over", url);
    }

    /// <summary>Deactivates the account (§7.3.6). Irreversible.</summary>
    public async Task<AcmeAccount> DeactivateAccountAsync(CancellationToken cancellationToken = default)
    {
        var url = RequireAccount();
        var response = await PostAsync(url, new JsonObject { ["status"] = "deactivated" }, AccountKey, useJwk: false, cancellationToken).ConfigureAwait(false);
        Report(AcmeEventKind.Account, "account deactivated", url);
        return ParseAccount(url, response);
    }

    // ---------------------------------------------------------------- orders

    /// <summary>
    /// Places an order (§7.4). An unknown profile is refused before any request. When the CA answers alreadyReplaced
    /// (RFC 9773 §5), the order is placed once more without "replaces".
    /// </summary>
    public async Task<AcmeOrder> CreateOrderAsync(AcmeOrderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Identifiers.Count == 0)
        {
            throw new ArgumentException("acme: an order needs at least one identifier", nameof(request));
        }

        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        if (request.Profile is { } profile && !directory.Profiles.ContainsKey(profile))
        {
            throw new AcmeException(directory.Profiles.Count == 0
                ? $"acme: profile \"{profile}\" requested but {_directoryUri} offers no profiles; remove the profile setting"
                : $"acme: profile \"{profile}\" is not offered by {_directoryUri}; choose one of: {string.Join(", ", directory.Profiles.Keys.Order(StringComparer.Ordinal))}");
        }

        var replaces = request.Replaces;
        if (replaces is not null && directory.RenewalInfo is null)
        {
            Report(AcmeEventKind.ReplacesDropped, "the CA has no renewalInfo; ordering without replaces", directory.NewOrder);
            replaces = null;
        }

        AcmeResponse response;
        try
        {
            response = await PostAsync(directory.NewOrder, OrderPayload(request, replaces), AccountKey, useJwk: false, cancellationToken).ConfigureAwait(false);
        }
        catch (AcmeProblemException ex) when (replaces is not null && ex.Problem.Is("alreadyReplaced"))
        {
            Report(AcmeEventKind.ReplacesDropped, $"certificate {replaces} was already replaced; ordering without replaces", directory.NewOrder, ex.HttpStatus);
            response = await PostAsync(directory.NewOrder, OrderPayload(request, null), AccountKey, useJwk: false, cancellationToken).ConfigureAwait(false);
        }

        var url = response.Location ?? throw new AcmeException("acme: newOrder answered without a Location header");
        return ParseOrder(url, response);
    }

    /// <summary>Reads an order (POST-as-GET).</summary>
    public async Task<AcmeOrder> GetOrderAsync(Uri orderUrl, CancellationToken cancellationToken = default) =>
        (await FetchOrderAsync(orderUrl, cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>Reads an authorization (POST-as-GET).</summary>
    public async Task<AcmeAuthorization> GetAuthorizationAsync(Uri authorizationUrl, CancellationToken cancellationToken = default) =>
        (await FetchAuthorizationAsync(authorizationUrl, cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>
    /// Reads all authorizations of an order. Those already <see cref="AcmeStatus.Valid"/> (reused) have
    /// <see cref="AcmeAuthorization.RequiresChallenge"/> false and need nothing published.
    /// </summary>
    public async Task<IReadOnlyList<AcmeAuthorization>> GetAuthorizationsAsync(AcmeOrder order, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        var result = new List<AcmeAuthorization>(order.Authorizations.Count);
        foreach (var url in order.Authorizations)
        {
            result.Add(await GetAuthorizationAsync(url, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    /// <summary>Tells the CA the challenge is ready (POST "{}", §7.5.1). Publish the TXT record first.</summary>
    public async Task<AcmeChallenge> AnswerChallengeAsync(AcmeChallenge challenge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        var response = await PostAsync(challenge.Url, new JsonObject(), AccountKey, useJwk: false, cancellationToken).ConfigureAwait(false);
        return ParseChallenge(Json.Parse(response.Body), challenge.Url);
    }

    /// <summary>
    /// Polls an authorization until it leaves "pending" and returns it; an invalid authorization is returned, not thrown
    /// (see the challenge's <see cref="AcmeChallenge.Error"/>). Throws <see cref="AcmeException"/> on the overall timeout.
    /// </summary>
    public Task<AcmeAuthorization> WaitForAuthorizationAsync(Uri authorizationUrl, CancellationToken cancellationToken = default) =>
        PollAsync(authorizationUrl, "authorization", FetchAuthorizationAsync, a => a.Status, s => s == AcmeStatus.Pending, null, cancellationToken);

    /// <summary>Polls an order while it is "pending" or "processing" and returns it (ready, valid or invalid).</summary>
    public Task<AcmeOrder> WaitForOrderAsync(Uri orderUrl, CancellationToken cancellationToken = default) =>
        PollAsync(orderUrl, "order", FetchOrderAsync, o => o.Status, s => s is AcmeStatus.Pending or AcmeStatus.Processing, null, cancellationToken);

    /// <summary>
    /// Finalizes a ready order with a DER CSR (§7.4) and polls while it is processing; returns the order (valid or invalid).
    /// Refuses a CSR signed by the account key.
    /// </summary>
    public async Task<AcmeOrder> FinalizeAsync(AcmeOrder order, byte[] csrDer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(csrDer);
        if (order.Status is AcmeStatus.Valid)
        {
            return order;
        }

        if (order.Status is not AcmeStatus.Ready)
        {
            throw new AcmeException($"acme: order {order.Url} is {order.Status.ToString().ToLowerInvariant()}, not ready; complete its authorizations before finalizing");
        }

        CertificateRequest csr;
        try
        {
            csr = CertificateRequest.LoadSigningRequest(csrDer, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (CryptographicException ex)
        {
            throw new AcmeException("acme: the CSR is not a valid PKCS#10 request; build it with CsrBuilder", ex);
        }

        if (csr.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(AccountKey.ExportSubjectPublicKeyInfo()))
        {
            throw new AcmeException("acme: the CSR uses the account key; certificates need their own key (CsrBuilder.GenerateKey)");
        }

        var response = await PostAsync(order.Finalize, new JsonObject { ["csr"] = Base64Url.EncodeToString(csrDer) }, AccountKey, useJwk: false, cancellationToken).ConfigureAwait(false);
        var finalized = ParseOrder(order.Url, response);
        return await PollAsync(order.Url, "order", FetchOrderAsync, o => o.Status, s => s is AcmeStatus.Processing or AcmeStatus.Ready,
            (finalized, response.RetryAfter), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Downloads the certificate of a valid order (POST-as-GET). With <paramref name="preferredChain"/>, the first chain
    /// (default, then each Link rel="alternate") whose top issuer CN matches is returned; otherwise the default chain.
    /// </summary>
    public async Task<AcmeCertificateChain> DownloadCertificateAsync(AcmeOrder order, string? preferredChain = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        var url = order.Certificate ?? throw new AcmeException($"acme: order {order.Url} has no certificate (status {order.Status.ToString().ToLowerInvariant()}); finalize it first");
        var first = await FetchChainAsync(url, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(preferredChain) || Matches(first, preferredChain))
        {
            Report(AcmeEventKind.ChainSelected, $"chain with top issuer \"{first.TopIssuerCommonName}\"", url);
            return first;
        }

        foreach (var alternate in first.AlternateUrls)
        {
            var chain = await FetchChainAsync(alternate, cancellationToken).ConfigureAwait(false);
            if (Matches(chain, preferredChain))
            {
                Report(AcmeEventKind.ChainSelected, $"preferred chain \"{preferredChain}\"", alternate);
                return chain with { AlternateUrls = first.AlternateUrls };
            }
        }

        Report(AcmeEventKind.ChainSelected, $"no chain with top issuer \"{preferredChain}\"; using the default (\"{first.TopIssuerCommonName}\")", url);
        return first;

        static bool Matches(AcmeCertificateChain chain, string cn) => string.Equals(chain.TopIssuerCommonName, cn, StringComparison.OrdinalIgnoreCase);
    }

    // ---------------------------------------------------------------- revocation

    /// <summary>Revokes a certificate of this account, signed with the account key (kid), RFC 8555 §7.6.</summary>
    public Task RevokeCertificateAsync(X509Certificate2 certificate, RevocationReason? reason = null, CancellationToken cancellationToken = default)
    {
        RequireAccount();
        return RevokeAsync(certificate, AccountKey, useJwk: false, reason, cancellationToken);
    }

    /// <summary>Revokes a certificate with its own private key (jwk of that key), e.g. after key compromise. The key is not disposed.</summary>
    public async Task RevokeCertificateWithKeyAsync(X509Certificate2 certificate, AsymmetricAlgorithm certificateKey, RevocationReason? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(certificateKey);
        if (!certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(certificateKey.ExportSubjectPublicKeyInfo()))
        {
            throw new AcmeException($"acme: the key does not belong to certificate {certificate.Subject}; give the certificate's own private key");
        }

        // Not disposed: the wrapper would dispose the caller's key.
        var signer = AcmeAccountKey.FromKey(certificateKey);
        await RevokeAsync(certificate, signer, useJwk: true, reason, cancellationToken).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- ARI

    /// <summary>Fetches renewal information (RFC 9773 §4.2, unauthenticated GET); null when the CA has no renewalInfo.</summary>
    public async Task<RenewalInfo?> GetRenewalInfoAsync(AriCertId certId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certId);
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        if (directory.RenewalInfo is not { } baseUrl)
        {
            return null;
        }

        var url = new Uri(baseUrl.ToString().TrimEnd('/') + "/" + certId.Value);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response);
        var json = Json.Parse(response.Body);
        var window = json?["suggestedWindow"] as JsonObject;
        if (window.Time("start") is not { } start || window.Time("end") is not { } end)
        {
            throw new AcmeException($"acme: renewalInfo at {url} has no suggestedWindow start/end");
        }

        DateTimeOffset? retryAfter = response.RetryAfter is { } delay ? _time.GetUtcNow() + delay : null;
        return new RenewalInfo(start, end, json.Url("explanationURL"), retryAfter);
    }

    /// <summary>Renewal information for a certificate; see <see cref="GetRenewalInfoAsync(AriCertId, CancellationToken)"/>.</summary>
    public Task<RenewalInfo?> GetRenewalInfoAsync(X509Certificate2 certificate, CancellationToken cancellationToken = default) =>
        GetRenewalInfoAsync(AriCertId.FromCertificate(certificate), cancellationToken);

    // ---------------------------------------------------------------- internals

    private async Task RevokeAsync(X509Certificate2 certificate, AcmeAccountKey signer, bool useJwk, RevocationReason? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        var url = directory.RevokeCert ?? throw new AcmeException($"acme: {_directoryUri} offers no revokeCert");
        var payload = new JsonObject { ["certificate"] = Base64Url.EncodeToString(certificate.RawData) };
        if (reason is { } r)
        {
            payload["reason"] = (int)r;
        }

        await PostAsync(url, payload, signer, useJwk, cancellationToken).ConfigureAwait(false);
    }

    private async Task<AcmeCertificateChain> FetchChainAsync(Uri url, CancellationToken cancellationToken)
    {
        var response = await PostAsync(url, null, AccountKey, useJwk: false, cancellationToken, accept: PemChain).ConfigureAwait(false);
        var pem = Encoding.UTF8.GetString(response.Body);
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (CryptographicException ex)
        {
            throw new AcmeException($"acme: the certificate at {url} is not a PEM chain", ex);
        }

        if (collection.Count == 0)
        {
            throw new AcmeException($"acme: the certificate at {url} holds no PEM certificate");
        }

        return new AcmeCertificateChain(url, pem, [.. collection], response.Links("alternate"));
    }

    private async Task<(AcmeOrder Value, TimeSpan? RetryAfter)> FetchOrderAsync(Uri url, CancellationToken cancellationToken)
    {
        var response = await PostAsync(url, null, AccountKey, useJwk: false, cancellationToken).ConfigureAwait(false);
        return (ParseOrder(url, response), response.RetryAfter);
    }

    private async Task<(AcmeAuthorization Value, TimeSpan? RetryAfter)> FetchAuthorizationAsync(Uri url, CancellationToken cancellationToken)
    {
        var response = await PostAsync(url, null, AccountKey, useJwk: false, cancellationToken).ConfigureAwait(false);
        var json = Json.Parse(response.Body);
        var identifier = Json.ParseIdentifier(json?["identifier"])
            ?? throw new AcmeException($"acme: authorization {url} has no identifier");
        var challenges = json?["challenges"] is JsonArray a ? a.Select(c => ParseChallenge(c, url)).ToList() : [];
        var authz = new AcmeAuthorization
        {
            Url = url,
            Identifier = identifier,
            Status = json.Status(),
            Wildcard = json.Bool("wildcard") ?? false,
            Expires = json.Time("expires"),
            Challenges = challenges,
        };
        return (authz, response.RetryAfter);
    }

    private async Task<T> PollAsync<T>(Uri url, string what, Func<Uri, CancellationToken, Task<(T Value, TimeSpan? RetryAfter)>> fetch,
        Func<T, AcmeStatus> status, Func<AcmeStatus, bool> keepWaiting, (T Value, TimeSpan? RetryAfter)? first, CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        var step = _options.PollInitialDelay;
        var current = first ?? await fetch(url, cancellationToken).ConfigureAwait(false);
        while (keepWaiting(status(current.Value)))
        {
            // Retry-After wins (§7.4, §8.2); without it, a short first delay doubling up to the cap (200 ms to 5 s by
            // default): Pebble and Boulder often finish within a second. A Retry-After of 0 or a past date still waits
            // one step so that a CA repeating it is not polled in a tight loop.
            TimeSpan delay;
            if (current.RetryAfter is { } ra)
            {
                delay = ra > TimeSpan.Zero ? ra : step;
            }
            else
            {
                delay = step;
                step = TimeSpan.FromTicks(Math.Min(step.Ticks * 2, Math.Max(_options.PollMaxDelay.Ticks, _options.PollInitialDelay.Ticks)));
            }

            var elapsed = _time.GetUtcNow() - started;
            if (elapsed + delay > _options.PollTimeout)
            {
                throw new AcmeException(string.Create(CultureInfo.InvariantCulture,
                    $"acme: {what} {url} is still {status(current.Value).ToString().ToLowerInvariant()} after {elapsed.TotalSeconds:0.#} s (limit {_options.PollTimeout.TotalSeconds:0.#} s, next check in {delay.TotalSeconds:0.#} s); try again later"));
            }

            Report(AcmeEventKind.Polling, $"{what} is {status(current.Value).ToString().ToLowerInvariant()}", url, delay: delay);
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            current = await fetch(url, cancellationToken).ConfigureAwait(false);
        }

        return current.Value;
    }

    /// <summary>Signed POST with badNonce retries; payload null = POST-as-GET.</summary>
    private async Task<AcmeResponse> PostAsync(Uri url, JsonNode? payload, AcmeAccountKey signer, bool useJwk, CancellationToken cancellationToken, string? accept = null)
    {
        var kid = useJwk ? null : RequireAccount();
        var payloadBytes = payload is null ? null : Json.Utf8(payload);
        for (var attempt = 0; ; attempt++)
        {
            var nonce = await TakeNonceAsync(cancellationToken).ConfigureAwait(false);
            var jws = Jws.Sign(signer, Jws.Header(signer, url, nonce, kid), payloadBytes);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(Json.Utf8(jws)) };
            // Exactly "application/jose+json": a charset parameter gets 415 from Boulder and Pebble.
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(JoseJson);
            if (accept is not null)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
            }

            var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccess)
            {
                return response;
            }

            var problem = AcmeProblem.Parse(Json.Parse(response.Body), response.Status);
            // The error response carried a fresh Replay-Nonce, already pooled by SendAsync (§6.5).
            if (problem.Is("badNonce") && attempt < _options.MaxBadNonceRetries)
            {
                Report(AcmeEventKind.BadNonceRetry, $"badNonce, retry {attempt + 1}/{_options.MaxBadNonceRetries}", url, response.Status);
                continue;
            }

            throw ToException(problem, response);
        }
    }

    private async Task<string> TakeNonceAsync(CancellationToken cancellationToken)
    {
        if (_nonces.TryDequeue(out var nonce))
        {
            return nonce;
        }

        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        using var request = new HttpRequestMessage(HttpMethod.Head, directory.NewNonce);
        var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response);
        return _nonces.TryDequeue(out nonce)
            ? nonce
            : throw new AcmeException($"acme: {directory.NewNonce} returned no Replay-Nonce");
    }

    private async Task<AcmeResponse> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.TryAddWithoutValidation("User-Agent", _userAgent);
        HttpResponseMessage message;
        try
        {
            message = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new AcmeException($"acme: {request.Method} {request.RequestUri} failed: {ex.Message}; check the directory URL, network and TLS trust", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AcmeException($"acme: {request.Method} {request.RequestUri} timed out; the CA may be slow or unreachable, try again later", ex);
        }

        using (message)
        {
            var body = await message.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (message.Headers.TryGetValues("Replay-Nonce", out var nonces))
            {
                foreach (var n in nonces)
                {
                    if (!string.IsNullOrWhiteSpace(n))
                    {
                        _nonces.Enqueue(n.Trim());
                    }
                }
            }

            var status = (int)message.StatusCode;
            Report(AcmeEventKind.Response, $"{request.Method} {status}", request.RequestUri, status);
            var now = _time.GetUtcNow();
            TimeSpan? retryAfter = message.Headers.RetryAfter switch
            {
                { Delta: { } d } => d,
                { Date: { } date } => date - now < TimeSpan.Zero ? TimeSpan.Zero : date - now,
                _ => null,
            };
            var location = message.Headers.Location is { } loc ? new Uri(request.RequestUri!, loc) : null;
            var links = new List<(Uri, string)>();
            if (message.Headers.TryGetValues("Link", out var linkValues))
            {
                foreach (var value in linkValues)
                {
                    foreach (Match m in LinkRegex().Matches(value))
                    {
                        if (Uri.TryCreate(request.RequestUri, m.Groups["url"].Value, out var target))
                        {
                            var rel = RelRegex().Match(m.Groups["params"].Value);
                            if (rel.Success)
                            {
                                foreach (var r in rel.Groups["rel"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                                {
                                    links.Add((target, r));
                                }
                            }
                        }
                    }
                }
            }

            return new AcmeResponse(request.RequestUri!, status, body, location, retryAfter, links);
        }
    }

    private void EnsureSuccess(AcmeResponse response)
    {
        if (!response.IsSuccess)
        {
            throw ToException(AcmeProblem.Parse(Json.Parse(response.Body), response.Status), response);
        }
    }

    private AcmeProblemException ToException(AcmeProblem problem, AcmeResponse response)
    {
        if (problem.Type == "about:blank" && problem.Detail is null)
        {
            problem = problem with { Detail = $"HTTP {response.Status} without a problem document" };
        }

        DateTimeOffset? retryAfter = response.RetryAfter is { } d ? _time.GetUtcNow() + d : null;
        var tos = response.Links("terms-of-service").FirstOrDefault();
        return new AcmeProblemException(problem, response.Url, response.Status, retryAfter, tos);
    }

    private Uri RequireAccount() => AccountUrl
        ?? throw new AcmeException("acme: no account URL yet; call CreateAccountAsync or FindAccountAsync (or UseAccount) first");

    private void Report(AcmeEventKind kind, string message, Uri? url = null, int? status = null, TimeSpan? delay = null) =>
        _options.Progress?.Report(new AcmeEvent(kind, message, url, status, delay));

    private static JsonArray ContactArray(IReadOnlyList<string> contacts)
    {
        var array = new JsonArray();
        foreach (var c in contacts)
        {
            var trimmed = c.Trim();
            array.Add((JsonNode)(trimmed.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) ? trimmed : "mailto:" + trimmed));
        }

        return array;
    }

    private static JsonObject OrderPayload(AcmeOrderRequest request, AriCertId? replaces)
    {
        var identifiers = new JsonArray();
        foreach (var id in request.Identifiers)
        {
            identifiers.Add((JsonNode)new JsonObject { ["type"] = id.Type, ["value"] = id.Value });
        }

        var payload = new JsonObject { ["identifiers"] = identifiers };
        if (request.NotBefore is { } nb)
        {
            payload["notBefore"] = nb.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        }

        if (request.NotAfter is { } na)
        {
            payload["notAfter"] = na.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        }

        if (request.Profile is { } profile)
        {
            payload["profile"] = profile;
        }

        if (replaces is not null)
        {
            payload["replaces"] = replaces.Value;
        }

        return payload;
    }

    private static AcmeAccount ParseAccount(Uri url, AcmeResponse response)
    {
        var json = Json.Parse(response.Body);
        return new AcmeAccount(url, json.Status(), json.Strings("contact"), json.Bool("termsOfServiceAgreed"), json.Url("orders", url));
    }

    private static AcmeOrder ParseOrder(Uri url, AcmeResponse response)
    {
        var json = Json.Parse(response.Body) ?? throw new AcmeException($"acme: order {url} returned no JSON");
        var identifiers = json["identifiers"] is JsonArray ids ? ids.Select(Json.ParseIdentifier).OfType<AcmeIdentifier>().ToList() : [];
        var authorizations = json.Strings("authorizations").Select(a => new Uri(url, a)).ToList();
        return new AcmeOrder
        {
            Url = url,
            Status = json.Status(),
            Identifiers = identifiers,
            Authorizations = authorizations,
            Finalize = json.Url("finalize", url) ?? throw new AcmeException($"acme: order {url} has no finalize URL"),
            Certificate = json.Url("certificate", url),
            Expires = json.Time("expires"),
            Error = json["error"] is JsonObject e ? AcmeProblem.Parse(e, null) : null,
            Profile = json.Str("profile"),
            Replaces = json.Str("replaces"),
        };
    }

    private static AcmeChallenge ParseChallenge(JsonNode? json, Uri baseUrl) => new(
        json.Str("type") ?? "",
        json.Url("url", baseUrl) ?? throw new AcmeException($"acme: a challenge of {baseUrl} has no url"),
        json.Status(),
        json.Str("token"),
        json.Time("validated"),
        (json as JsonObject)?["error"] is JsonObject e ? AcmeProblem.Parse(e, null) : null);

    [GeneratedRegex(@"<(?<url>[^>]*)>(?<params>[^,]*)")]
    private static partial Regex LinkRegex();

    [GeneratedRegex(@"rel\s*=\s*(?:""(?<rel>[^""]*)""|(?<rel>[^;\s]+))", RegexOptions.IgnoreCase)]
    private static partial Regex RelRegex();

    private sealed record AcmeResponse(Uri Url, int Status, byte[] Body, Uri? Location, TimeSpan? RetryAfter, IReadOnlyList<(Uri Target, string Rel)> LinkList)
    {
        public bool IsSuccess => Status is >= 200 and < 300;

        public IReadOnlyList<Uri> Links(string rel) =>
            [.. LinkList.Where(l => string.Equals(l.Rel, rel, StringComparison.OrdinalIgnoreCase)).Select(l => l.Target)];
    }
}
