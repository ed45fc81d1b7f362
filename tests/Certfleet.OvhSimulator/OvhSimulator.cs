using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Certfleet.OvhSimulator;

/// <summary>
/// An OVH API look-alike for tests and demos: signed calls checked as OVH does, consumer keys with access
/// rules, DNS zones and records, and zone refreshes that reach a real BIND (RFC 2136) after a delay.
/// Faults (500s, clock skew, publication delay) are set at start or at run time, here or under <c>/_sim/</c>.
/// </summary>
public sealed partial class OvhSimulator : IAsyncDisposable
{
    private const string CredentialItem = "sim.credential";
    private readonly SimulatorOptions _options;
    private readonly SimulatorState _state;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _publications = [];
    private readonly SemaphoreSlim _publishGate = new(1, 1);
    private readonly Dictionary<string, (long Requested, long Applied)> _sequence = new(StringComparer.OrdinalIgnoreCase);
    private WebApplication? _app;
    private BindPublisher? _publisher;
    private ILogger _logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public OvhSimulator(SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _state = new SimulatorState(options);
        _time = options.TimeProvider;
    }

    /// <summary>Where the simulator listens, e.g. http://127.0.0.1:41234 (validation and OAuth2 URLs live here).</summary>
    public Uri Root { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The API base URL to give certfleet as <c>endpoint:</c>, e.g. http://127.0.0.1:41234/1.0.</summary>
    public Uri BaseUrl => new(Root.AbsoluteUri.TrimEnd('/') + "/1.0");

    /// <summary>The OAuth2 token URL (for <c>tokenUrl:</c>).</summary>
    public Uri TokenUrl => new(Root, "/auth/oauth2/token");

    public double FailureRate { get => Read(() => _state.FailureRate); set => Write(() => _state.FailureRate = value); }

    public TimeSpan ClockSkew { get => Read(() => _state.ClockSkew); set => Write(() => _state.ClockSkew = value); }

    public TimeSpan PublicationDelay { get => Read(() => _state.PublicationDelay); set => Write(() => _state.PublicationDelay = value); }

    public TimeSpan TimeWindow { get => Read(() => _state.TimeWindow); set => Write(() => _state.TimeWindow = value); }

    public SimErrorShape AuthErrorShape { get => Read(() => _state.AuthErrorShape); set => Write(() => _state.AuthErrorShape = value); }

    /// <summary>API calls received under /1.0, and how many of them were answered with an injected 500.</summary>
    public (long Calls, long InjectedFailures) Stats => Read(() => (_state.Calls, _state.InjectedFailures));

    /// <summary>Refreshes whose changes have not reached BIND yet.</summary>
    public int PendingPublications => Read(() => _state.PendingPublications);

    /// <summary>The records of a zone as the API holds them.</summary>
    public IReadOnlyList<SimRecord> GetRecords(string zone) =>
        Read(() => _state.Zones.TryGetValue(zone, out var z) ? z.Records.Values.OrderBy(r => r.Id).ToList() : []);

    /// <summary>The records of a zone as last published to BIND.</summary>
    public IReadOnlyList<SimRecord> GetPublishedRecords(string zone) =>
        Read(() => _state.Zones.TryGetValue(zone, out var z) ? z.Published.ToList() : []);

    /// <summary>The state of a consumer key (validated, pendingValidation, expired...), or null when unknown.</summary>
    public string? GetConsumerKeyState(string consumerKey) =>
        Read(() => _state.ConsumerKeys.TryGetValue(consumerKey, out var ck) ? ck.State : null);

    public void AddConsumerKey(string applicationKey, SimConsumerKey consumerKey) =>
        Write(() => _state.AddConsumerKey(applicationKey, consumerKey, _time.GetUtcNow()));

    /// <summary>Adds a record as OVH's web UI would; like any change, BIND sees it after the next refresh.</summary>
    public SimRecord AddRecord(string zone, SimRecordSeed record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_state.Gate)
        {
            var z = _state.Zones[zone];
            var r = new SimRecord(_state.NextId(), z.Name, record.SubDomain, record.FieldType, record.Target, record.Ttl);
            z.Records[r.Id] = r;
            return r;
        }
    }

    /// <summary>Same as POST /domain/zone/{zone}/refresh.</summary>
    public void Refresh(string zone) => ScheduleRefresh(zone);

    /// <summary>Waits until every refresh so far has reached BIND.</summary>
    public async Task WaitForPublicationsAsync(CancellationToken cancellationToken = default)
    {
        while (PendingPublications > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(25), cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(_options.Url);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Certfleet.OvhSimulator", LogLevel.Information);
        builder.Services.AddSingleton(_time);
        var app = builder.Build();
        _logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Certfleet.OvhSimulator");
        if (_options.BindServer is { } bind)
        {
            _publisher = new BindPublisher(bind, _options.TsigKeyFile, _logger);
        }

        app.Use(ApiGateAsync);
        MapApi(app);
        MapAdmin(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Root = new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal));
        _app = app;

        // Seeded records exist from the start, so they are published at once.
        List<string> seeded;
        lock (_state.Gate)
        {
            seeded = _state.Zones.Values.Where(z => z.Records.Count > 0).Select(z => z.Name).ToList();
        }

        foreach (var zone in seeded)
        {
            await ApplyAsync(zone, Snapshot(zone), long.MaxValue, cancellationToken).ConfigureAwait(false);
        }

        Started(_logger, BaseUrl);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task[] pending;
        lock (_publications)
        {
            pending = [.. _publications];
        }

        try
        {
            await Task.WhenAll(pending).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Publications still waiting for their delay are dropped, as a stopped server would.
        }

        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _publishGate.Dispose();
    }

    private DateTimeOffset Now => _time.GetUtcNow() + ClockSkew;

    private T Read<T>(Func<T> f)
    {
        lock (_state.Gate)
        {
            return f();
        }
    }

    private void Write(Action f)
    {
        lock (_state.Gate)
        {
            f();
        }
    }

    // ---- authentication, as OVH checks it ------------------------------------------------------

    private async Task ApiGateAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value ?? "";
        if (!path.StartsWith("/1.0/", StringComparison.Ordinal))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        context.Response.Headers["X-Ovh-QueryID"] = "EU.ext-sim." + SimulatorState.RandomToken(12);
        bool fail;
        lock (_state.Gate)
        {
            _state.Calls++;
            fail = _state.FailureRate > 0 && _state.Random.NextDouble() < _state.FailureRate;
            if (fail)
            {
                _state.InjectedFailures++;
            }
        }

        if (fail)
        {
            await WriteAsync(context, 500, ClassBody("Server::InternalServerError", "Internal server error")).ConfigureAwait(false);
            return;
        }

        context.Request.EnableBuffering();
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8, false, 4096, leaveOpen: true))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        context.Request.Body.Position = 0;
        var rel = path[4..];
        var method = context.Request.Method;
        if (rel == "/auth/time" && method == "GET")
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var refusal = Authenticate(context, rel, method, body);
        if (refusal is not null)
        {
            await WriteAsync(context, refusal.Value.Status, refusal.Value.Body).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private (int Status, JsonObject Body)? Authenticate(HttpContext context, string rel, string method, string body)
    {
        var headers = context.Request.Headers;
        lock (_state.Gate)
        {
            var authorization = headers.Authorization.ToString();
            if (authorization.StartsWith("Bearer ", StringComparison.Ordinal))
            {
                if (!_state.Tokens.TryGetValue(authorization[7..], out var token) || token.Expires <= _time.GetUtcNow())
                {
                    return (401, ClassBody("Client::Unauthorized", "Invalid or expired access token"));
                }

                return token.Client.Rules is { } rules && !Granted(rules, method, rel) && !rel.StartsWith("/auth/", StringComparison.Ordinal)
                    ? AuthError(403, "NOT_GRANTED_CALL", "This call has not been granted")
                    : null;
            }

            var appKey = headers["X-Ovh-Application"].ToString();
            if (appKey.Length == 0 || !_state.Applications.TryGetValue(appKey, out var appSecret))
            {
                return AuthError(403, "INVALID_KEY", "This application key is invalid");
            }

            if (rel == "/auth/credential" && method == "POST")
            {
                return null;
            }

            var consumer = headers["X-Ovh-Consumer"].ToString();
            if (consumer.Length == 0)
            {
                return AuthError(403, "NOT_CREDENTIAL", "You must login first");
            }

            if (!long.TryParse(headers["X-Ovh-Timestamp"].ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ts)
                || Math.Abs(ts - Now.ToUnixTimeSeconds()) > _state.TimeWindow.TotalSeconds)
            {
                return AuthError(400, "QUERY_TIME_OUT", "Query out of time");
            }

            if (!_state.ConsumerKeys.TryGetValue(consumer, out var ck) || ck.ApplicationKey != appKey)
            {
                return AuthError(403, "INVALID_CREDENTIAL", "This credential does not exist");
            }

            var raw = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
            var url = $"{context.Request.Scheme}://{context.Request.Host.Value}{raw}";
            var expected = Sign(appSecret, consumer, method, url, body, ts);
            if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(headers["X-Ovh-Signature"].ToString())))
            {
                return AuthError(400, "INVALID_SIGNATURE", "Invalid signature");
            }

            if (ck.State == "validated" && ck.Expiration is { } exp && exp <= _time.GetUtcNow())
            {
                ck.State = "expired";
            }

            if (ck.State != "validated")
            {
                return AuthError(403, "INVALID_CREDENTIAL", "This credential is not valid");
            }

            // Reading one's own credential needs no rule.
            if (!rel.StartsWith("/auth/", StringComparison.Ordinal) && !Granted(ck.Rules, method, rel))
            {
                return AuthError(403, "NOT_GRANTED_CALL", "This call has not been granted");
            }

            context.Items[CredentialItem] = ck;
            return null;
        }
    }

    private (int, JsonObject) AuthError(int status, string code, string message) =>
        (status, _state.AuthErrorShape == SimErrorShape.ErrorCode
            ? new JsonObject { ["errorCode"] = code, ["httpCode"] = $"{status} {ReasonPhrases.GetReasonPhrase(status)}", ["message"] = message }
            : ClassBody(status == 400 ? "Client::BadRequest" : "Client::Forbidden", message));

    private static JsonObject ClassBody(string cls, string message) => new() { ["class"] = cls, ["message"] = message, ["details"] = new JsonObject() };

    internal static string Sign(string secret, string consumer, string method, string url, string body, long ts)
    {
#pragma warning disable CA5350 // the protocol's hash, not a choice
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes($"{secret}+{consumer}+{method}+{url}+{body}+{ts.ToString(CultureInfo.InvariantCulture)}"));
#pragma warning restore CA5350
        return "$1$" + Convert.ToHexStringLower(hash);
    }

    internal static bool Granted(IEnumerable<SimRule> rules, string method, string path) =>
        rules.Any(r => string.Equals(r.Method, method, StringComparison.OrdinalIgnoreCase)
            && Regex.IsMatch(path, "^" + string.Join(".*", r.Path.Split('*').Select(Regex.Escape)) + "$", RegexOptions.None, TimeSpan.FromSeconds(1)));

    private static Task WriteAsync(HttpContext context, int status, JsonNode? body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(body?.ToJsonString() ?? "null");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "sim: OVH API simulator listening on {BaseUrl}")]
    private static partial void Started(ILogger logger, Uri baseUrl);

    [LoggerMessage(Level = LogLevel.Error, Message = "sim: publication of zone {Zone} failed")]
    private static partial void PublicationFailed(ILogger logger, Exception exception, string zone);
}
