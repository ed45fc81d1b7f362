using System.Net;
using System.Text;
using Certfleet.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Certfleet.Dns.Ovh.Tests;

public sealed class SignatureTests
{
    private const string AK = "TDPKJdwZwAQPwKX2";
    private const string AS = "9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk";
    private const string CK = "5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY";
    private const long Timestamp = 1457018875;
    private const string Body = """{"a":"b","c":"d"}""";
    private const string RecordBody = """{"fieldType":"TXT","subDomain":"_acme-challenge","target":"ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8","ttl":60}""";

    [Theory]
    [InlineData("GET", "https://eu.api.ovh.com/1.0/auth", "", "$1$e9556054b6309771395efa467c22e627407461ad")]
    [InlineData("POST", "https://eu.api.ovh.com/1.0/auth", Body, "$1$ec2fb5c7a81f64723c77d2e5b609ae6f58a84fc1")]
    [InlineData("PUT", "https://eu.api.ovh.com/1.0/auth", Body, "$1$8a75a9e7c8e7296c9dbeda6a2a735eb6bd58ec4b")]
    [InlineData("DELETE", "https://eu.api.ovh.com/1.0/auth", "", "$1$a1eecd00b3b02b6cf5708b84b9ff42059a950d85")]
    [InlineData("GET", "https://eu.api.ovh.com/1.0/call", "", "$1$7f2db49253edfc41891023fcd1a54cf61db05fbb")]
    [InlineData("GET", "https://eu.api.ovh.com/1.0/domain/zone/example.com/record?fieldType=TXT&subDomain=_acme-challenge", "", "$1$51418e2f296fe99d944f9b069ccd47e01ab26a34")]
    [InlineData("POST", "https://eu.api.ovh.com/1.0/domain/zone/example.com/record", RecordBody, "$1$a962a4da3a7df6cf6ac00ad912e8ac09de968bb8")]
    [InlineData("POST", "https://eu.api.ovh.com/1.0/domain/zone/example.com/refresh", "", "$1$183b7a4abc4a71f93defe029d1c80d7e1a8ee56c")]
    [InlineData("DELETE", "https://eu.api.ovh.com/1.0/domain/zone/example.com/record/1553659745", "", "$1$5f7235b54d04ffc169399416d667dbfe610146ff")]
    public void Published_vectors_match(string method, string url, string body, string expected) =>
        Assert.Equal(expected, OvhSignature.Compute(AS, CK, method, url, body, Timestamp));

    [Fact]
    public void A_different_secret_gives_a_different_signature() =>
        Assert.NotEqual("$1$e9556054b6309771395efa467c22e627407461ad", OvhSignature.Compute(AS + "x", CK, "GET", "https://eu.api.ovh.com/1.0/auth", "", Timestamp));

    /// <summary>The provider signs the escaped URL and the exact body it sends: the vector's POST and DELETE come out.</summary>
    [Fact]
    public async Task Provider_requests_carry_the_vector_signatures()
    {
        var handler = new RecordingHandler(Timestamp);
        var options = new OvhOptions("ovh-eu", new Uri("https://eu.api.ovh.com/1.0"),
            new OvhApplicationAuthentication(AK, new Secret(AS, "literal"), new Secret(CK, "literal")), "example.com", 60, TimeSpan.FromSeconds(5));
        var time = new FixedTime(DateTimeOffset.FromUnixTimeSeconds(Timestamp));
        using var provider = new OvhProvider("ovh", options, new OvhApiClient(options, handler, time, NullLogger.Instance), NullLogger.Instance);

        var handle = await provider.AddTxtRecordAsync("_acme-challenge.example.com", "ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8", TestContext.Current.CancellationToken);
        await provider.PublishAsync([handle], TestContext.Current.CancellationToken);

        var post = handler.Requests.Single(r => r.Method == "POST" && r.Url.EndsWith("/record", StringComparison.Ordinal));
        Assert.Equal(RecordBody, post.Body);
        Assert.Equal("$1$a962a4da3a7df6cf6ac00ad912e8ac09de968bb8", post.Signature);
        Assert.Equal(AK, post.Application);
        Assert.Equal("1457018875", post.Timestamp);
        Assert.Equal("$1$183b7a4abc4a71f93defe029d1c80d7e1a8ee56c", handler.Requests.Single(r => r.Url.EndsWith("/refresh", StringComparison.Ordinal)).Signature);
        var cname = handler.Requests.First(r => r.Url.Contains("fieldType=CNAME", StringComparison.Ordinal));
        Assert.Equal("https://eu.api.ovh.com/1.0/domain/zone/example.com/record?fieldType=CNAME&subDomain=_acme-challenge", cname.Url);
        Assert.Equal("1553659745", handle.Data["id"]);
    }

    internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    internal sealed record Seen(string Method, string Url, string Body, string? Application, string? Timestamp, string? Signature);

    /// <summary>Answers like OVH for one zone, and records what was sent.</summary>
    internal sealed class RecordingHandler(long serverTime) : HttpMessageHandler
    {
        public List<Seen> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            string? H(string name) => request.Headers.TryGetValues(name, out var v) ? v.First() : null;
            var url = request.RequestUri!.AbsoluteUri;
            Requests.Add(new Seen(request.Method.Method, url, body, H("X-Ovh-Application"), H("X-Ovh-Timestamp"), H("X-Ovh-Signature")));
            var path = request.RequestUri.AbsolutePath;
            var json = path switch
            {
                "/1.0/auth/time" => serverTime.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ when request.Method == HttpMethod.Post && path.EndsWith("/record", StringComparison.Ordinal) =>
                    """{"id":1553659745,"zone":"example.com","subDomain":"_acme-challenge","fieldType":"TXT","target":"x","ttl":60}""",
                _ when path.EndsWith("/record", StringComparison.Ordinal) => "[]",
                _ => "",
            };
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            response.Headers.Add("X-Ovh-QueryID", "EU.ext-test");
            return response;
        }
    }
}
