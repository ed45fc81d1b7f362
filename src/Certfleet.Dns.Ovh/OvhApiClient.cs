using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Certfleet.Dns.Ovh;

/// <summary>Signed (or bearer) calls to the OVH API, with clock synchronisation and retries.</summary>
internal sealed class OvhApiClient : IDisposable
{
    private const int MaxTries = 4;
    private readonly OvhOptions _options;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _sync = new(1, 1);
    private long? _offsetSeconds;
    private string? _token;
    private DateTimeOffset _tokenExpires;

    public OvhApiClient(OvhOptions options, HttpMessageHandler? handler, TimeProvider time, ILogger logger)
    {
        _options = options;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = Timeout.InfiniteTimeSpan;
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("certfleet", "0.1"));
        _time = time;
        _logger = logger;
    }

    /// <summary>First backoff delay; doubled at each retry.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public Uri BaseUrl => _options.BaseUrl;

    /// <summary>Server time minus local time, once known.</summary>
    public long? ClockOffsetSeconds => _offsetSeconds;

    public Task<JsonElement?> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, true, cancellationToken);

    public Task<JsonElement?> PostAsync(string path, string? jsonBody, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, jsonBody, true, cancellationToken);

    public Task<JsonElement?> DeleteAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, path, null, true, cancellationToken);

    /// <summary>
    /// Sends one call. <paramref name="path"/> is relative to the base URL and already escaped. Returns
    /// the JSON body, or null when it is empty or <c>null</c> (as refresh answers).
    /// </summary>
    public async Task<JsonElement?> SendAsync(HttpMethod method, string path, string? jsonBody, bool authenticated, CancellationToken cancellationToken)
    {
        var resynced = false;
        var tokenRenewed = false;
        for (var attempt = 1; ; attempt++)
        {
            string reason;
            string? queryId = null;
            try
            {
                var response = await SendOnceAsync(method, path, jsonBody, authenticated, cancellationToken).ConfigureAwait(false);
                queryId = response.QueryId;
                Log.Call(_logger, method.Method, path, (int)response.Status, queryId);
                if ((int)response.Status is >= 200 and < 300)
                {
                    return ParseBody(response.Body);
                }

                var error = OvhErrors.Parse(response.Body);
                if (error?.Code == "QUERY_TIME_OUT" && authenticated && !resynced)
                {
                    // The local clock moved since the offset was measured: measure again, once per call.
                    Log.TimeOut(_logger, method.Method, path, queryId);
                    resynced = true;
                    await SyncClockAsync(cancellationToken).ConfigureAwait(false);
                    attempt--;
                    continue;
                }

                if (response.Status == HttpStatusCode.Unauthorized && _options.Authentication is OvhOAuth2Authentication && !tokenRenewed)
                {
                    tokenRenewed = true;
                    _token = null;
                    attempt--;
                    continue;
                }

                if ((int)response.Status < 500 || attempt >= MaxTries)
                {
                    Log.Failed(_logger, method.Method, path, (int)response.Status, error?.Code, queryId);
                    var message = OvhErrors.Describe(error, response.Status, method.Method, path, _options.BaseUrl);
                    if ((int)response.Status >= 500)
                    {
                        message += $" (after {MaxTries} tries; OVH may be having an incident: retry later)";
                    }

                    throw new OvhApiException(message, error?.Code ?? (response.Status == HttpStatusCode.NotFound ? "NOT_FOUND" : null), response.Status, queryId);
                }

                reason = $"{(int)response.Status} {error?.Message}".Trim();
            }
            catch (HttpRequestException e) when (attempt < MaxTries)
            {
                reason = e.HttpRequestError.ToString();
            }
            catch (HttpRequestException e)
            {
                throw new OvhApiException($"ovh: cannot reach {_options.BaseUrl} ({e.HttpRequestError}: {e.Message}) after {MaxTries} tries; check endpoint and the network", null, null, null, e);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                if (attempt >= MaxTries)
                {
                    throw new OvhApiException($"ovh: {method.Method} {path} timed out after {MaxTries} tries of {_options.RequestTimeout.TotalSeconds:0} s; check the network, or raise requestTimeout", null, null, null, e);
                }

                reason = "timeout";
            }

            var delay = RetryBaseDelay * Math.Pow(2, attempt - 1);
            Log.Retrying(_logger, method.Method, path, reason, queryId, attempt, (long)delay.TotalMilliseconds);
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static JsonElement? ParseBody(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.ValueKind == JsonValueKind.Null ? null : doc.RootElement.Clone();
    }

    private sealed record RawResponse(HttpStatusCode Status, string Body, string? QueryId);

    private async Task<RawResponse> SendOnceAsync(HttpMethod method, string path, string? jsonBody, bool authenticated, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        var uri = new Uri(_options.BaseUrl.AbsoluteUri.TrimEnd('/') + path);
        using var request = new HttpRequestMessage(method, uri);
        var bodyText = jsonBody ?? "";
        if (jsonBody is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(jsonBody));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        switch (_options.Authentication)
        {
            case OvhApplicationAuthentication app:
                request.Headers.Add("X-Ovh-Application", app.ApplicationKey);
                if (authenticated && app.ConsumerKey is { } ck)
                {
                    if (_offsetSeconds is null)
                    {
                        await SyncClockAsync(timeout.Token).ConfigureAwait(false);
                    }

                    var ts = _time.GetUtcNow().ToUnixTimeSeconds() + (_offsetSeconds ?? 0);
                    request.Headers.Add("X-Ovh-Consumer", ck.Reveal());
                    request.Headers.Add("X-Ovh-Timestamp", ts.ToString(CultureInfo.InvariantCulture));
                    request.Headers.Add("X-Ovh-Signature", OvhSignature.Compute(app.ApplicationSecret.Reveal(), ck.Reveal(), method.Method, uri.AbsoluteUri, bodyText, ts));
                }

                break;
            case OvhOAuth2Authentication oauth when authenticated:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await GetTokenAsync(oauth, timeout.Token).ConfigureAwait(false));
                break;
        }

        using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        var queryId = response.Headers.TryGetValues("X-Ovh-QueryID", out var ids) ? ids.FirstOrDefault() : null;
        return new RawResponse(response.StatusCode, body, queryId);
    }

    /// <summary>GET /auth/time (unauthenticated) and keep server − local.</summary>
    public async Task SyncClockAsync(CancellationToken cancellationToken)
    {
        var body = await SendAsync(HttpMethod.Get, "/auth/time", null, false, cancellationToken).ConfigureAwait(false);
        if (body is not { ValueKind: JsonValueKind.Number } n || !n.TryGetInt64(out var server))
        {
            throw new OvhApiException($"ovh: GET /auth/time on {_options.BaseUrl} did not answer a timestamp; check that endpoint is an OVH API base URL");
        }

        _offsetSeconds = server - _time.GetUtcNow().ToUnixTimeSeconds();
        Log.ClockOffset(_logger, _options.BaseUrl, _offsetSeconds.Value);
    }

    private async Task<string> GetTokenAsync(OvhOAuth2Authentication oauth, CancellationToken cancellationToken)
    {
        await _sync.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Renewed a minute before expiry so that a call never carries a token that dies in flight.
            if (_token is not null && _time.GetUtcNow() < _tokenExpires - TimeSpan.FromMinutes(1))
            {
                return _token;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, oauth.TokenUrl)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "client_credentials",
                    ["client_id"] = oauth.ClientId,
                    ["client_secret"] = oauth.ClientSecret.Reveal(),
                    ["scope"] = "all",
                }),
            };
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new OvhApiException($"ovh: cannot reach the token URL {oauth.TokenUrl} ({e.HttpRequestError}); check tokenUrl/endpoint and the network", e);
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw new OvhApiException($"ovh: the service account was refused by {oauth.TokenUrl} ({(int)response.StatusCode}); check clientId and clientSecret", "OAUTH2", response.StatusCode);
                }

                using var doc = JsonDocument.Parse(text);
                var token = doc.RootElement.TryGetProperty("access_token", out var t) ? t.GetString() : null;
                var expires = doc.RootElement.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var s) ? s : 3600;
                _token = token ?? throw new OvhApiException($"ovh: {oauth.TokenUrl} answered without an access_token; check tokenUrl");
                _tokenExpires = _time.GetUtcNow().AddSeconds(expires);
                return _token;
            }
        }
        finally
        {
            _sync.Release();
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _sync.Dispose();
    }
}
