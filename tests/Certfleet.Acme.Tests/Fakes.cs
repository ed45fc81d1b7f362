using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Certfleet.Acme.Tests;

/// <summary>One request as the fake CA saw it, with its JWS taken apart.</summary>
internal sealed record RecordedRequest(HttpMethod Method, Uri Url, string? ContentType, string? UserAgent, string? Accept, string Body)
{
    public JsonObject Jws => (JsonObject)JsonNode.Parse(Body)!;
    public JsonObject Protected => (JsonObject)JsonNode.Parse(Base64Url.DecodeFromChars(Jws["protected"]!.GetValue<string>()))!;
    public string PayloadText => Encoding.UTF8.GetString(Base64Url.DecodeFromChars(Jws["payload"]!.GetValue<string>()));
    public JsonNode? Payload => PayloadText.Length == 0 ? null : JsonNode.Parse(PayloadText);
    public string Path => Url.AbsolutePath;

    /// <summary>Verifies the ES256 signature against a SubjectPublicKeyInfo, independently of the client's code.</summary>
    public bool VerifiesWith(byte[] subjectPublicKeyInfo)
    {
        var jws = Jws;
        var input = Encoding.ASCII.GetBytes(jws["protected"]!.GetValue<string>() + "." + jws["payload"]!.GetValue<string>());
        var signature = Base64Url.DecodeFromChars(jws["signature"]!.GetValue<string>());
        using var ec = ECDsa.Create();
        ec.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        return ec.VerifyData(input, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>Verifies against the jwk carried in the protected header.</summary>
    public bool VerifiesWithHeaderJwk()
    {
        var jwk = Protected["jwk"]!;
        using var ec = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = Base64Url.DecodeFromChars(jwk["x"]!.GetValue<string>()),
                Y = Base64Url.DecodeFromChars(jwk["y"]!.GetValue<string>()),
            },
        });
        return VerifiesWith(ec.ExportSubjectPublicKeyInfo());
    }
}

/// <summary>A canned ACME server: per path a queue of responses (the last one repeats); every answer gets a fresh Replay-Nonce.</summary>
internal sealed class FakeAcmeHandler : HttpMessageHandler
{
    public const string Base = "https://acme.test";
    private readonly Dictionary<string, Queue<Func<RecordedRequest, HttpResponseMessage>>> _routes = new(StringComparer.Ordinal);
    private int _nonce;

    public FakeAcmeHandler(string? directoryJson = null)
    {
        On("GET", "/dir", _ => Json(HttpStatusCode.OK, directoryJson ?? DirectoryJson, nonce: false));
        On("HEAD", "/nonce", _ => new HttpResponseMessage(HttpStatusCode.OK));
    }

    public static string DirectoryJson => """
        {"newNonce":"BASE/nonce","newAccount":"BASE/new-acct","newOrder":"BASE/new-order",
         "revokeCert":"BASE/revoke","keyChange":"BASE/key-change","renewalInfo":"BASE/ari/",
         "meta":{"termsOfService":"BASE/tos.pdf","website":"BASE/","caaIdentities":["acme.test","ca.example"],
                 "externalAccountRequired":false,"profiles":{"classic":"90 days","shortlived":"160 hours"}}}
        """.Replace("BASE", Base, StringComparison.Ordinal);

    public List<RecordedRequest> Requests { get; } = [];

    public IEnumerable<RecordedRequest> Posts => Requests.Where(r => r.Method == HttpMethod.Post);

    public string LastNonceIssued => "nonce-" + _nonce;

    public FakeAcmeHandler On(string method, string path, params Func<RecordedRequest, HttpResponseMessage>[] responses)
    {
        _routes[method + " " + path] = new Queue<Func<RecordedRequest, HttpResponseMessage>>(responses);
        return this;
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json, string? location = null, bool nonce = true, string contentType = "application/json")
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8) };
        response.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (location is not null)
        {
            response.Headers.Location = new Uri(Base + location);
        }

        if (!nonce)
        {
            response.Headers.Add("X-No-Nonce", "1");
        }

        return response;
    }

    public static HttpResponseMessage Problem(HttpStatusCode status, string type, string detail, string extra = "") =>
        Json(status, $$"""{"type":"urn:ietf:params:acme:error:{{type}}","detail":"{{detail}}","status":{{(int)status}}{{extra}}}""",
            contentType: "application/problem+json");

    public static HttpResponseMessage Account(HttpStatusCode status = HttpStatusCode.Created) =>
        Json(status, """{"status":"valid","contact":["mailto:ops@example.com"],"orders":"/acct/1/orders"}""", "/acct/1");

    public static string Order(string status, string extra = "") => $$"""
        {"status":"{{status}}","identifiers":[{"type":"dns","value":"example.com"},{"type":"dns","value":"*.example.com"}],
         "authorizations":["{{Base}}/authz/1","{{Base}}/authz/2"],"finalize":"{{Base}}/order/1/finalize"{{extra}}}
        """;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        var recorded = new RecordedRequest(request.Method, request.RequestUri!,
            request.Content?.Headers.TryGetValues("Content-Type", out var ct) == true ? string.Join(",", ct) : null,
            request.Headers.TryGetValues("User-Agent", out var ua) ? string.Join(" ", ua) : null,
            request.Headers.TryGetValues("Accept", out var accept) ? string.Join(",", accept) : null,
            body);
        HttpResponseMessage response;
        lock (Requests)
        {
            Requests.Add(recorded);
            var key = request.Method.Method + " " + request.RequestUri!.AbsolutePath;
            if (!_routes.TryGetValue(key, out var queue))
            {
                return new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent("no route " + key) };
            }

            var factory = queue.Count > 1 ? queue.Dequeue() : queue.Peek();
            response = factory(recorded);
            if (!response.Headers.Remove("X-No-Nonce") && !response.Headers.Contains("Replay-Nonce"))
            {
                response.Headers.Add("Replay-Nonce", "nonce-" + Interlocked.Increment(ref _nonce));
            }
        }

        response.RequestMessage = request;
        return response;
    }
}

/// <summary>A clock that jumps forward by every timer's due time and fires it at once: polling runs instantly and records its delays.</summary>
internal sealed class JumpingTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public List<TimeSpan> Delays { get; } = [];

    public override DateTimeOffset GetUtcNow()
    {
        lock (Delays)
        {
            return _now;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            lock (Delays)
            {
                Delays.Add(dueTime);
                _now += dueTime;
            }

            ThreadPool.QueueUserWorkItem(_ => callback(state));
        }

        return new NoTimer();
    }

    private sealed class NoTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;
        public void Dispose() { }
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

internal sealed class Collector<T> : IProgress<T>
{
    public List<T> Items { get; } = [];

    public void Report(T value)
    {
        lock (Items)
        {
            Items.Add(value);
        }
    }
}
