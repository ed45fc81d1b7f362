using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using static Certfleet.Acme.Tests.FakeAcmeHandler;

namespace Certfleet.Acme.Tests;

public sealed class RecordedClientTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly AcmeAccountKey _key = AcmeAccountKey.Generate();
    private readonly JumpingTimeProvider _clock = new(Start);
    private readonly Collector<AcmeEvent> _events = new();
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        _key.Dispose();
        foreach (var d in _disposables)
        {
            d.Dispose();
        }
    }

    private AcmeClient Client(FakeAcmeHandler handler, AcmeClientOptions? options = null, bool withAccount = true)
    {
        var http = new HttpClient(handler);
        _disposables.Add(http);
        var client = new AcmeClient(new Uri(Base + "/dir"), _key, http, _clock, (options ?? new AcmeClientOptions()) with { Progress = _events });
        if (withAccount)
        {
            client.UseAccount(new Uri(Base + "/acct/1"));
        }

        return client;
    }

    private static Uri U(string path) => new(Base + path);

    private static HttpResponseMessage WithRetryAfter(HttpResponseMessage response, RetryConditionHeaderValue value)
    {
        response.Headers.RetryAfter = value;
        return response;
    }

    private static string Authz(string status, bool wildcard = false) => $$"""
        {"status":"{{status}}","identifier":{"type":"dns","value":"example.com"},"wildcard":{{(wildcard ? "true" : "false")}},
         "expires":"2026-03-08T12:00:00Z",
         "challenges":[{"type":"dns-01","url":"{{Base}}/chall/{{(wildcard ? 2 : 1)}}","status":"{{status}}","token":"tok-{{(wildcard ? 2 : 1)}}"}]}
        """;

    [Fact]
    public async Task Directory_is_discovered_with_meta_profiles_and_renewal_info()
    {
        var handler = new FakeAcmeHandler();
        var directory = await Client(handler).GetDirectoryAsync(TestContext.Current.CancellationToken);
        Assert.Equal(U("/new-order"), directory.NewOrder);
        Assert.Equal(U("/nonce"), directory.NewNonce);
        Assert.Equal(U("/ari/"), directory.RenewalInfo);
        Assert.Equal(U("/tos.pdf"), directory.TermsOfService);
        Assert.Equal(["acme.test", "ca.example"], directory.CaaIdentities);
        Assert.Equal("160 hours", directory.Profiles["shortlived"]);
        Assert.Equal(2, directory.Profiles.Count);
        Assert.StartsWith("certfleet/", handler.Requests[0].UserAgent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Minimal_directory_leaves_optional_members_empty()
    {
        var handler = new FakeAcmeHandler($$"""{"newNonce":"{{Base}}/nonce","newAccount":"{{Base}}/new-acct","newOrder":"{{Base}}/new-order"}""");
        var directory = await Client(handler).GetDirectoryAsync(TestContext.Current.CancellationToken);
        Assert.Null(directory.RenewalInfo);
        Assert.Null(directory.TermsOfService);
        Assert.Empty(directory.Profiles);
        Assert.Empty(directory.CaaIdentities);
    }

    [Fact]
    public async Task Directory_without_new_order_is_refused()
    {
        var handler = new FakeAcmeHandler($$"""{"newNonce":"{{Base}}/nonce","newAccount":"{{Base}}/new-acct"}""");
        var ex = await Assert.ThrowsAsync<AcmeException>(() => Client(handler).GetDirectoryAsync(TestContext.Current.CancellationToken));
        Assert.StartsWith("acme: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("newOrder", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task New_account_uses_jwk_then_later_requests_use_kid_with_reused_nonces()
    {
        var handler = new FakeAcmeHandler()
            .On("POST", "/new-acct", _ => Account())
            .On("POST", "/acct/1", _ => Account(HttpStatusCode.OK));
        var client = Client(handler, withAccount: false);
        var ct = TestContext.Current.CancellationToken;

        var account = await client.CreateAccountAsync(["ops@example.com"], termsOfServiceAgreed: true, cancellationToken: ct);
        await client.GetAccountAsync(ct);

        Assert.Equal(U("/acct/1"), account.Url);
        Assert.Equal(AcmeStatus.Valid, account.Status);
        Assert.Equal(U("/acct/1/orders"), account.Orders);
        Assert.Single(handler.Requests, r => r.Method == HttpMethod.Head);
        var posts = handler.Posts.ToList();
        Assert.Equal(2, posts.Count);
        Assert.All(handler.Requests, r => Assert.Equal(AcmeClient.DefaultUserAgent, r.UserAgent));
        Assert.Matches(@"^certfleet/\d+\.\d+\.\d+", AcmeClient.DefaultUserAgent);
        Assert.All(posts, r => Assert.Equal("application/jose+json", r.ContentType));

        var create = posts[0];
        Assert.Equal("ES256", create.Protected["alg"]!.GetValue<string>());
        Assert.Equal("nonce-1", create.Protected["nonce"]!.GetValue<string>());
        Assert.Equal(Base + "/new-acct", create.Protected["url"]!.GetValue<string>());
        Assert.NotNull(create.Protected["jwk"]);
        Assert.Null(create.Protected["kid"]);
        Assert.True(create.Payload!["termsOfServiceAgreed"]!.GetValue<bool>());
        Assert.Equal("mailto:ops@example.com", create.Payload!["contact"]![0]!.GetValue<string>());
        Assert.True(create.VerifiesWithHeaderJwk());
        Assert.True(create.VerifiesWith(_key.ExportSubjectPublicKeyInfo()));

        var read = posts[1];
        Assert.Equal(Base + "/acct/1", read.Protected["kid"]!.GetValue<string>());
        Assert.Null(read.Protected["jwk"]);
        Assert.Equal("nonce-2", read.Protected["nonce"]!.GetValue<string>()); // from the newAccount response
        Assert.Equal("", read.Jws["payload"]!.GetValue<string>()); // POST-as-GET
        Assert.True(read.VerifiesWith(_key.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public async Task Bad_nonce_is_retried_with_the_nonce_of_the_error_response()
    {
        var handler = new FakeAcmeHandler()
            .On("POST", "/acct/1", _ => Problem(HttpStatusCode.BadRequest, "badNonce", "stale"), _ => Account(HttpStatusCode.OK));
        var client = Client(handler);
        await client.GetAccountAsync(TestContext.Current.CancellationToken);
        var posts = handler.Posts.ToList();
        Assert.Equal(2, posts.Count);
        Assert.Equal("nonce-1", posts[0].Protected["nonce"]!.GetValue<string>());
        Assert.Equal("nonce-2", posts[1].Protected["nonce"]!.GetValue<string>()); // carried by the badNonce answer
        Assert.Single(handler.Requests, r => r.Method == HttpMethod.Head);
        Assert.Contains(_events.Items, e => e.Kind == AcmeEventKind.BadNonceRetry);
    }

    [Fact]
    public async Task Bad_nonce_retries_are_bounded()
    {
        var handler = new FakeAcmeHandler().On("POST", "/acct/1", _ => Problem(HttpStatusCode.BadRequest, "badNonce", "stale"));
        var client = Client(handler, new AcmeClientOptions { MaxBadNonceRetries = 3 });
        var ex = await Assert.ThrowsAsync<AcmeProblemException>(() => client.GetAccountAsync(TestContext.Current.CancellationToken));
        Assert.Equal("badNonce", ex.ShortType);
        Assert.Equal(4, handler.Posts.Count());
    }

    [Fact]
    public async Task Rate_limited_exposes_retry_after_and_is_not_retried()
    {
        var handler = new FakeAcmeHandler().On("POST", "/new-order",
            _ => WithRetryAfter(Problem(HttpStatusCode.TooManyRequests, "rateLimited", "too many certificates"), new RetryConditionHeaderValue(TimeSpan.FromHours(1))));
        var client = Client(handler);
        var ex = await Assert.ThrowsAsync<AcmeProblemException>(() =>
            client.CreateOrderAsync(AcmeOrderRequest.ForDnsNames("example.com"), TestContext.Current.CancellationToken));
        Assert.Equal(Start.AddHours(1), ex.RetryAfter);
        Assert.Equal(429, ex.HttpStatus);
        Assert.StartsWith("acme: rateLimited: too many certificates", ex.Message, StringComparison.Ordinal);
        Assert.Contains("retry after 2026-03-01 13:00:00Z", ex.Message, StringComparison.Ordinal);
        Assert.Single(handler.Posts);
    }

    [Fact]
    public async Task Problem_subproblems_are_parsed_and_listed_in_the_message()
    {
        const string subs = """
            ,"subproblems":[{"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"forbidden name","identifier":{"type":"dns","value":"bad.example"}},
                            {"type":"urn:ietf:params:acme:error:malformed","detail":"bad label","identifier":{"type":"dns","value":"-x.example"}}]
            """;
        var handler = new FakeAcmeHandler().On("POST", "/new-order", _ => Problem(HttpStatusCode.BadRequest, "rejectedIdentifier", "some names refused", subs));
        var client = Client(handler);
        var ex = await Assert.ThrowsAsync<AcmeProblemException>(() =>
            client.CreateOrderAsync(AcmeOrderRequest.ForDnsNames("bad.example", "-x.example"), TestContext.Current.CancellationToken));
        Assert.Equal(2, ex.Problem.Subproblems.Count);
        Assert.Equal(AcmeIdentifier.Dns("bad.example"), ex.Problem.Subproblems[0].Identifier);
        Assert.True(ex.Problem.Subproblems[1].Is("malformed"));
        Assert.StartsWith("acme: rejectedIdentifier: some names refused", ex.Message, StringComparison.Ordinal);
        Assert.Contains("dns:bad.example: rejectedIdentifier: forbidden name", ex.Message, StringComparison.Ordinal);
        Assert.Contains("dns:-x.example: malformed: bad label", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_action_required_shows_the_terms_link_and_instance()
    {
        var handler = new FakeAcmeHandler().On("POST", "/new-acct", _ =>
        {
            var r = Problem(HttpStatusCode.Forbidden, "userActionRequired", "new terms", $$""","instance":"{{Base}}/agree" """);
            r.Headers.TryAddWithoutValidation("Link", $"<{Base}/tos-v2.pdf>;rel=\"terms-of-service\"");
            return r;
        });
        var client = Client(handler, withAccount: false);
        var ex = await Assert.ThrowsAsync<AcmeProblemException>(() => client.CreateAccountAsync([], true, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(U("/tos-v2.pdf"), ex.TermsOfService);
        Assert.Contains(Base + "/tos-v2.pdf", ex.Message, StringComparison.Ordinal);
        Assert.Contains(Base + "/agree", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_json_errors_still_become_problem_exceptions()
    {
        var handler = new FakeAcmeHandler().On("POST", "/acct/1", _ => new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent("<html>") });
        var ex = await Assert.ThrowsAsync<AcmeProblemException>(() => Client(handler).GetAccountAsync(TestContext.Current.CancellationToken));
        Assert.Equal(502, ex.HttpStatus);
        Assert.StartsWith("acme: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("502", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Odd_problem_members_do_not_hide_the_problem()
    {
        var handler = new FakeAcmeHandler().On("POST", "/acct/1", _ => Json(HttpStatusCode.Forbidden,
            """{"type":"urn:ietf:params:acme:error:unauthorized","detail":{"nested":true},"status":"403"}""", contentType: "application/problem+json"));
        var ex = await Assert.ThrowsAsync<AcmeProblemException>(() => Client(handler).GetAccountAsync(TestContext.Current.CancellationToken));
        Assert.Equal("unauthorized", ex.ShortType);
        Assert.Null(ex.Problem.Detail);
        Assert.Equal(403, ex.Problem.Status);
    }

    [Fact]
    public async Task Unknown_profile_is_refused_before_ordering()
    {
        var handler = new FakeAcmeHandler().On("POST", "/new-order", _ => Json(HttpStatusCode.Created, Order("pending"), "/order/1"));
        var client = Client(handler);
        var ex = await Assert.ThrowsAsync<AcmeException>(() =>
            client.CreateOrderAsync(AcmeOrderRequest.ForDnsNames("example.com") with { Profile = "tlsserver" }, TestContext.Current.CancellationToken));
        Assert.StartsWith("acme: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("classic, shortlived", ex.Message, StringComparison.Ordinal);
        Assert.Empty(handler.Posts);
    }

    [Fact]
    public async Task Order_sends_identifiers_profile_and_replaces()
    {
        var handler = new FakeAcmeHandler().On("POST", "/new-order", _ => Json(HttpStatusCode.Created, Order("pending", ""","profile":"shortlived" """), "/order/1"));
        var client = Client(handler);
        var order = await client.CreateOrderAsync(AcmeOrderRequest.ForDnsNames("example.com", "*.example.com") with
        {
            Profile = "shortlived",
            Replaces = new AriCertId("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"),
        }, TestContext.Current.CancellationToken);

        var payload = handler.Posts.Single().Payload!;
        Assert.Equal("shortlived", payload["profile"]!.GetValue<string>());
        Assert.Equal("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", payload["replaces"]!.GetValue<string>());
        Assert.Equal("*.example.com", payload["identifiers"]![1]!["value"]!.GetValue<string>());
        Assert.Equal(U("/order/1"), order.Url);
        Assert.Equal(AcmeStatus.Pending, order.Status);
        Assert.Equal([U("/authz/1"), U("/authz/2")], order.Authorizations);
        Assert.Equal("shortlived", order.Profile);
    }

    [Fact]
    public async Task Already_replaced_retries_once_without_replaces()
    {
        var handler = new FakeAcmeHandler().On("POST", "/new-order",
            _ => Problem(HttpStatusCode.Conflict, "alreadyReplaced", "already replaced"),
            _ => Json(HttpStatusCode.Created, Order("pending"), "/order/1"));
        var client = Client(handler);
        var order = await client.CreateOrderAsync(AcmeOrderRequest.ForDnsNames("example.com") with { Replaces = new AriCertId("a.b") }, TestContext.Current.CancellationToken);
        var posts = handler.Posts.ToList();
        Assert.Equal(2, posts.Count);
        Assert.Equal("a.b", posts[0].Payload!["replaces"]!.GetValue<string>());
        Assert.Null(posts[1].Payload!["replaces"]);
        Assert.Equal(U("/order/1"), order.Url);
        Assert.Contains(_events.Items, e => e.Kind == AcmeEventKind.ReplacesDropped);
    }

    [Fact]
    public async Task Already_replaced_is_retried_only_once()
    {
        var handler = new FakeAcmeHandler().On("POST", "/new-order", _ => Problem(HttpStatusCode.Conflict, "alreadyReplaced", "already replaced"));
        var client = Client(handler);
        await Assert.ThrowsAsync<AcmeProblemException>(() =>
            client.CreateOrderAsync(AcmeOrderRequest.ForDnsNames("example.com") with { Replaces = new AriCertId("a.b") }, TestContext.Current.CancellationToken));
        Assert.Equal(2, handler.Posts.Count());
    }

    [Fact]
    public async Task Replaces_is_dropped_when_the_ca_has_no_renewal_info()
    {
        var handler = new FakeAcmeHandler($$"""{"newNonce":"{{Base}}/nonce","newAccount":"{{Base}}/new-acct","newOrder":"{{Base}}/new-order"}""")
            .On("POST", "/new-order", _ => Json(HttpStatusCode.Created, Order("pending"), "/order/1"));
        await Client(handler).CreateOrderAsync(AcmeOrderRequest.ForDnsNames("example.com") with { Replaces = new AriCertId("a.b") }, TestContext.Current.CancellationToken);
        Assert.Null(handler.Posts.Single().Payload!["replaces"]);
    }

    [Fact]
    public async Task Wildcard_and_apex_give_two_authorizations_and_valid_ones_need_no_challenge()
    {
        var handler = new FakeAcmeHandler()
            .On("POST", "/order/1", _ => Json(HttpStatusCode.OK, Order("pending")))
            .On("POST", "/authz/1", _ => Json(HttpStatusCode.OK, Authz("valid")))
            .On("POST", "/authz/2", _ => Json(HttpStatusCode.OK, Authz("pending", wildcard: true)))
            .On("POST", "/chall/2", _ => Json(HttpStatusCode.OK, $$"""{"type":"dns-01","url":"{{Base}}/chall/2","status":"processing","token":"tok-2"}"""));
        var client = Client(handler);
        var ct = TestContext.Current.CancellationToken;
        var order = await client.GetOrderAsync(U("/order/1"), ct);
        var authzs = await client.GetAuthorizationsAsync(order, ct);

        Assert.Equal(2, authzs.Count);
        Assert.False(authzs[0].RequiresChallenge);
        Assert.True(authzs[1].RequiresChallenge);
        Assert.True(authzs[1].Wildcard);
        Assert.Equal("example.com", authzs[1].Identifier.Value);
        Assert.Equal("_acme-challenge.example.com", authzs[1].Dns01RecordName);
        var challenge = authzs[1].FindChallenge("dns-01")!;
        Assert.Equal("tok-2", challenge.Token);
        Assert.Null(authzs[1].FindChallenge("http-01"));

        var answered = await client.AnswerChallengeAsync(challenge, ct);
        Assert.Equal(AcmeStatus.Processing, answered.Status);
        var answer = handler.Posts.Last();
        Assert.Equal(Base + "/chall/2", answer.Url.ToString());
        Assert.Equal("{}", answer.PayloadText);
        Assert.All(handler.Posts.Take(3), r => Assert.Equal("", r.PayloadText));
    }

    private static TimeSpan Ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    [Fact]
    public async Task Polling_honours_retry_after_in_seconds_and_as_http_date_then_uses_the_short_defaults()
    {
        var handler = new FakeAcmeHandler().On("POST", "/authz/1",
            _ => WithRetryAfter(Json(HttpStatusCode.OK, Authz("pending")), new RetryConditionHeaderValue(TimeSpan.FromSeconds(7))),
            _ => WithRetryAfter(Json(HttpStatusCode.OK, Authz("pending")), new RetryConditionHeaderValue(_clock.GetUtcNow().AddSeconds(12))),
            _ => Json(HttpStatusCode.OK, Authz("pending")),
            _ => Json(HttpStatusCode.OK, Authz("pending")),
            _ => Json(HttpStatusCode.OK, Authz("valid")));
        var authz = await Client(handler).WaitForAuthorizationAsync(U("/authz/1"), TestContext.Current.CancellationToken);
        Assert.Equal(AcmeStatus.Valid, authz.Status);
        Assert.Equal([TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(12), Ms(200), Ms(400)], _clock.Delays);
    }

    [Fact]
    public async Task Default_poll_delay_starts_at_200_ms_and_doubles_up_to_five_seconds()
    {
        var responses = Enumerable.Repeat<Func<RecordedRequest, HttpResponseMessage>>(_ => Json(HttpStatusCode.OK, Order("pending")), 8)
            .Append(_ => Json(HttpStatusCode.OK, Order("ready"))).ToArray();
        var handler = new FakeAcmeHandler().On("POST", "/order/1", responses);
        var order = await Client(handler).WaitForOrderAsync(U("/order/1"), TestContext.Current.CancellationToken);
        Assert.Equal(AcmeStatus.Ready, order.Status);
        Assert.Equal([Ms(200), Ms(400), Ms(800), Ms(1600), Ms(3200), Ms(5000), Ms(5000), Ms(5000)], _clock.Delays);
        Assert.Equal(9, handler.Posts.Count());
    }

    [Fact]
    public async Task A_processing_order_is_polled_with_the_same_back_off_and_its_own_options()
    {
        var handler = new FakeAcmeHandler().On("POST", "/order/1",
            _ => Json(HttpStatusCode.OK, Order("processing")),
            _ => Json(HttpStatusCode.OK, Order("processing")),
            _ => Json(HttpStatusCode.OK, Order("processing")),
            _ => Json(HttpStatusCode.OK, Order("processing")),
            _ => Json(HttpStatusCode.OK, Order("processing")),
            _ => Json(HttpStatusCode.OK, Order("valid", $$""","certificate":"{{Base}}/cert/1" """)));
        var options = new AcmeClientOptions { PollInitialDelay = Ms(100), PollMaxDelay = Ms(1000) };
        var order = await Client(handler, options).WaitForOrderAsync(U("/order/1"), TestContext.Current.CancellationToken);
        Assert.Equal(AcmeStatus.Valid, order.Status);
        Assert.Equal([Ms(100), Ms(200), Ms(400), Ms(800), Ms(1000)], _clock.Delays);
        var polling = _events.Items.Where(e => e.Kind == AcmeEventKind.Polling).ToList();
        Assert.Equal(_clock.Delays, polling.Select(e => e.Delay!.Value));
        Assert.All(polling, e => Assert.Equal("order is processing", e.Message));
    }

    [Fact]
    public async Task Retry_after_in_between_neither_advances_nor_resets_the_back_off()
    {
        var handler = new FakeAcmeHandler().On("POST", "/authz/1",
            _ => Json(HttpStatusCode.OK, Authz("pending")),
            _ => WithRetryAfter(Json(HttpStatusCode.OK, Authz("pending")), new RetryConditionHeaderValue(TimeSpan.FromSeconds(3))),
            _ => Json(HttpStatusCode.OK, Authz("pending")),
            _ => WithRetryAfter(Json(HttpStatusCode.OK, Authz("pending")), new RetryConditionHeaderValue(TimeSpan.FromSeconds(30))),
            _ => Json(HttpStatusCode.OK, Authz("valid")));
        await Client(handler).WaitForAuthorizationAsync(U("/authz/1"), TestContext.Current.CancellationToken);
        // 30 s is above the 5 s cap: the CA's word still wins.
        Assert.Equal([Ms(200), TimeSpan.FromSeconds(3), Ms(400), TimeSpan.FromSeconds(30)], _clock.Delays);
    }

    [Fact]
    public async Task Retry_after_of_zero_or_in_the_past_waits_one_step_instead_of_spinning()
    {
        var handler = new FakeAcmeHandler().On("POST", "/authz/1",
            _ => WithRetryAfter(Json(HttpStatusCode.OK, Authz("pending")), new RetryConditionHeaderValue(TimeSpan.Zero)),
            _ => WithRetryAfter(Json(HttpStatusCode.OK, Authz("pending")), new RetryConditionHeaderValue(_clock.GetUtcNow().AddMinutes(-5))),
            _ => Json(HttpStatusCode.OK, Authz("valid")));
        await Client(handler).WaitForAuthorizationAsync(U("/authz/1"), TestContext.Current.CancellationToken);
        Assert.Equal([Ms(200), Ms(200)], _clock.Delays);
    }

    [Fact]
    public async Task Polling_gives_up_after_the_overall_timeout()
    {
        var handler = new FakeAcmeHandler().On("POST", "/authz/1", _ => Json(HttpStatusCode.OK, Authz("pending")));
        var client = Client(handler, new AcmeClientOptions { PollTimeout = TimeSpan.FromSeconds(10) });
        var ex = await Assert.ThrowsAsync<AcmeException>(() => client.WaitForAuthorizationAsync(U("/authz/1"), TestContext.Current.CancellationToken));
        Assert.StartsWith("acme: authorization", ex.Message, StringComparison.Ordinal);
        // 0.2 + 0.4 + 0.8 + 1.6 + 3.2 = 6.2 s; the next 5 s step would pass the 10 s limit.
        Assert.Contains("after 6.2 s (limit 10 s, next check in 5 s)", ex.Message, StringComparison.Ordinal);
        Assert.Equal([Ms(200), Ms(400), Ms(800), Ms(1600), Ms(3200)], _clock.Delays);
    }

    [Fact]
    public async Task Rate_limited_while_polling_is_thrown_not_retried()
    {
        var handler = new FakeAcmeHandler().On("POST", "/order/1",
            _ => Json(HttpStatusCode.OK, Order("processing")),
            _ => WithRetryAfter(Problem(HttpStatusCode.TooManyRequests, "rateLimited", "slow down"), new RetryConditionHeaderValue(TimeSpan.FromSeconds(60))),
            _ => Json(HttpStatusCode.OK, Order("valid")));
        var ex = await Assert.ThrowsAsync<AcmeProblemException>(() => Client(handler).WaitForOrderAsync(U("/order/1"), TestContext.Current.CancellationToken));
        Assert.Equal("rateLimited", ex.ShortType);
        Assert.Equal(_clock.GetUtcNow().AddSeconds(60), ex.RetryAfter);
        Assert.Equal(2, handler.Posts.Count());
        Assert.Equal([Ms(200)], _clock.Delays);
    }

    [Fact]
    public async Task Invalid_authorization_is_returned_with_the_challenge_error()
    {
        var handler = new FakeAcmeHandler().On("POST", "/authz/1", _ => Json(HttpStatusCode.OK, $$$"""
            {"status":"invalid","identifier":{"type":"dns","value":"example.com"},
             "challenges":[{"type":"dns-01","url":"{{{Base}}}/chall/1","status":"invalid","token":"t",
               "error":{"type":"urn:ietf:params:acme:error:unauthorized","detail":"no TXT record"}}]
            }
            """));
        var authz = await Client(handler).WaitForAuthorizationAsync(U("/authz/1"), TestContext.Current.CancellationToken);
        Assert.Equal(AcmeStatus.Invalid, authz.Status);
        Assert.Equal("unauthorized", authz.Challenges[0].Error!.ShortType);
        Assert.Empty(_clock.Delays);
    }

    [Fact]
    public async Task Finalize_refuses_a_csr_with_the_account_key()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var accountKey = AcmeAccountKey.ImportPem(ec.ExportPkcs8PrivateKeyPem());
        var handler = new FakeAcmeHandler();
        using var http = new HttpClient(handler);
        var client = new AcmeClient(U("/dir"), accountKey, http, _clock);
        client.UseAccount(U("/acct/1"));
        var order = new AcmeOrder { Url = U("/order/1"), Status = AcmeStatus.Ready, Identifiers = [], Authorizations = [], Finalize = U("/order/1/finalize") };
        var ex = await Assert.ThrowsAsync<AcmeException>(() =>
            client.FinalizeAsync(order, CsrBuilder.CreateDer(["example.com"], ec), TestContext.Current.CancellationToken));
        Assert.Contains("account key", ex.Message, StringComparison.Ordinal);
        Assert.Empty(handler.Posts);
    }

    [Fact]
    public async Task Finalize_refuses_an_order_that_is_not_ready()
    {
        using var certKey = CsrBuilder.GenerateKey();
        var handler = new FakeAcmeHandler();
        var order = new AcmeOrder { Url = U("/order/1"), Status = AcmeStatus.Pending, Identifiers = [], Authorizations = [], Finalize = U("/order/1/finalize") };
        var ex = await Assert.ThrowsAsync<AcmeException>(() =>
            Client(handler).FinalizeAsync(order, CsrBuilder.CreateDer(["example.com"], certKey), TestContext.Current.CancellationToken));
        Assert.Contains("not ready", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finalize_polls_processing_until_valid()
    {
        var valid = Order("valid", $$""","certificate":"{{Base}}/cert/1" """);
        var handler = new FakeAcmeHandler()
            .On("POST", "/order/1/finalize", _ => WithRetryAfter(Json(HttpStatusCode.OK, Order("processing")), new RetryConditionHeaderValue(TimeSpan.FromSeconds(2))))
            .On("POST", "/order/1", _ => Json(HttpStatusCode.OK, Order("processing")), _ => Json(HttpStatusCode.OK, valid));
        using var certKey = CsrBuilder.GenerateKey();
        var csr = CsrBuilder.CreateDer(["example.com", "*.example.com"], certKey);
        var ready = new AcmeOrder { Url = U("/order/1"), Status = AcmeStatus.Ready, Identifiers = [], Authorizations = [], Finalize = U("/order/1/finalize") };

        var done = await Client(handler).FinalizeAsync(ready, csr, TestContext.Current.CancellationToken);

        Assert.Equal(AcmeStatus.Valid, done.Status);
        Assert.Equal(U("/cert/1"), done.Certificate);
        Assert.Equal(Base64Url.EncodeToString(csr), handler.Posts.First().Payload!["csr"]!.GetValue<string>());
        Assert.Equal([TimeSpan.FromSeconds(2), Ms(200)], _clock.Delays);
    }

    private static string ChainPem(string leafCn, string intermediateCn, string rootCn)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var gen = X509SignatureGenerator.CreateForECDsa(key);
        var now = DateTimeOffset.UtcNow;
        using var leaf = new CertificateRequest("CN=" + leafCn, key, HashAlgorithmName.SHA256)
            .Create(new X500DistinguishedName("CN=" + intermediateCn), gen, now.AddDays(-1), now.AddDays(1), [1, 2, 3]);
        using var intermediate = new CertificateRequest("CN=" + intermediateCn, key, HashAlgorithmName.SHA256)
            .Create(new X500DistinguishedName("CN=" + rootCn), gen, now.AddDays(-1), now.AddDays(1), [4, 5, 6]);
        return leaf.ExportCertificatePem() + "\n" + intermediate.ExportCertificatePem() + "\n";
    }

    private FakeAcmeHandler ChainHandler()
    {
        var defaultChain = ChainPem("example.com", "Int A", "Root A");
        var alternate = ChainPem("example.com", "Int B", "Root B");
        return new FakeAcmeHandler()
            .On("POST", "/cert/1", _ =>
            {
                var r = Json(HttpStatusCode.OK, defaultChain, contentType: "application/pem-certificate-chain");
                r.Headers.TryAddWithoutValidation("Link", $"<{Base}/dir>;rel=\"index\"");
                r.Headers.TryAddWithoutValidation("Link", "</cert/1/alt/1>;rel=\"alternate\"");
                return r;
            })
            .On("POST", "/cert/1/alt/1", _ => Json(HttpStatusCode.OK, alternate, contentType: "application/pem-certificate-chain"));
    }

    private static AcmeOrder ValidOrder => new()
    {
        Url = U("/order/1"), Status = AcmeStatus.Valid, Identifiers = [], Authorizations = [], Finalize = U("/order/1/finalize"), Certificate = U("/cert/1"),
    };

    [Fact]
    public async Task Download_selects_the_preferred_chain_by_top_issuer()
    {
        var handler = ChainHandler();
        var chain = await Client(handler).DownloadCertificateAsync(ValidOrder, "Root B", TestContext.Current.CancellationToken);
        Assert.Equal(U("/cert/1/alt/1"), chain.Url);
        Assert.Equal("Root B", chain.TopIssuerCommonName);
        Assert.Equal(2, chain.Certificates.Count);
        Assert.Equal("CN=example.com", chain.Leaf.Subject);
        Assert.Equal([U("/cert/1/alt/1")], chain.AlternateUrls);
        Assert.All(handler.Posts, r =>
        {
            Assert.Equal("application/pem-certificate-chain", r.Accept);
            Assert.Equal("", r.PayloadText);
        });
    }

    [Fact]
    public async Task Download_falls_back_to_the_default_chain()
    {
        var handler = ChainHandler();
        var chain = await Client(handler).DownloadCertificateAsync(ValidOrder, "Root Z", TestContext.Current.CancellationToken);
        Assert.Equal(U("/cert/1"), chain.Url);
        Assert.Equal("Root A", chain.TopIssuerCommonName);
        Assert.Equal(2, handler.Posts.Count());
    }

    [Fact]
    public async Task Download_without_preference_fetches_only_the_default_chain()
    {
        var handler = ChainHandler();
        var chain = await Client(handler).DownloadCertificateAsync(ValidOrder, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("Root A", chain.TopIssuerCommonName);
        Assert.Single(handler.Posts);
        Assert.Contains("BEGIN CERTIFICATE", chain.Pem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revocation_by_account_key_uses_kid_and_by_certificate_key_uses_its_jwk()
    {
        using var certKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var cert = new CertificateRequest("CN=example.com", certKey, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var handler = new FakeAcmeHandler().On("POST", "/revoke", _ => new HttpResponseMessage(HttpStatusCode.OK));
        var client = Client(handler);
        var ct = TestContext.Current.CancellationToken;

        await client.RevokeCertificateAsync(cert, RevocationReason.Superseded, ct);
        await client.RevokeCertificateWithKeyAsync(cert, certKey, RevocationReason.KeyCompromise, ct);

        var posts = handler.Posts.ToList();
        Assert.Equal(Base + "/acct/1", posts[0].Protected["kid"]!.GetValue<string>());
        Assert.Equal(4, posts[0].Payload!["reason"]!.GetValue<int>());
        Assert.Equal(Base64Url.EncodeToString(cert.RawData), posts[0].Payload!["certificate"]!.GetValue<string>());
        Assert.True(posts[0].VerifiesWith(_key.ExportSubjectPublicKeyInfo()));

        Assert.Null(posts[1].Protected["kid"]);
        Assert.NotNull(posts[1].Protected["jwk"]);
        Assert.Equal(1, posts[1].Payload!["reason"]!.GetValue<int>());
        Assert.True(posts[1].VerifiesWith(certKey.ExportSubjectPublicKeyInfo()));
        Assert.False(posts[1].VerifiesWith(_key.ExportSubjectPublicKeyInfo()));
        // The caller's key is still usable: the client did not dispose it.
        Assert.NotEmpty(certKey.SignData([1], HashAlgorithmName.SHA256));
    }

    [Fact]
    public async Task Revocation_with_a_foreign_key_is_refused()
    {
        using var certKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var cert = new CertificateRequest("CN=example.com", certKey, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var handler = new FakeAcmeHandler();
        await Assert.ThrowsAsync<AcmeException>(() => Client(handler).RevokeCertificateWithKeyAsync(cert, other, null, TestContext.Current.CancellationToken));
        Assert.Empty(handler.Posts);
    }

    [Fact]
    public async Task Renewal_info_is_an_unauthenticated_get()
    {
        var handler = new FakeAcmeHandler().On("GET", "/ari/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", _ => WithRetryAfter(Json(HttpStatusCode.OK, """
            {"suggestedWindow":{"start":"2026-04-01T00:00:00Z","end":"2026-04-03T00:00:00Z"},"explanationURL":"https://acme.test/why"}
            """, nonce: false), new RetryConditionHeaderValue(TimeSpan.FromHours(6))));
        var info = await Client(handler).GetRenewalInfoAsync(new AriCertId("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"), TestContext.Current.CancellationToken);
        Assert.NotNull(info);
        Assert.Equal(new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero), info.SuggestedWindowStart);
        Assert.Equal(new DateTimeOffset(2026, 4, 3, 0, 0, 0, TimeSpan.Zero), info.SuggestedWindowEnd);
        Assert.Equal(new Uri("https://acme.test/why"), info.ExplanationUrl);
        Assert.Equal(Start.AddHours(6), info.RetryAfter);
        var pick = info.PickRenewalTime(new Random(1));
        Assert.InRange(pick, info.SuggestedWindowStart, info.SuggestedWindowEnd);
        Assert.Empty(handler.Posts);
        Assert.Equal("", handler.Requests.Last().Body);
    }

    [Fact]
    public async Task Renewal_info_is_null_without_ari_support()
    {
        var handler = new FakeAcmeHandler($$"""{"newNonce":"{{Base}}/nonce","newAccount":"{{Base}}/new-acct","newOrder":"{{Base}}/new-order"}""");
        Assert.Null(await Client(handler).GetRenewalInfoAsync(new AriCertId("a.b"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task External_account_binding_is_an_hs256_jws_over_the_account_jwk()
    {
        var dir = DirectoryJson.Replace("\"externalAccountRequired\":false", "\"externalAccountRequired\":true", StringComparison.Ordinal);
        var handler = new FakeAcmeHandler(dir).On("POST", "/new-acct", _ => Account());
        var client = Client(handler, withAccount: false);
        var ct = TestContext.Current.CancellationToken;
        var without = await Assert.ThrowsAsync<AcmeException>(() => client.CreateAccountAsync([], true, null, ct));
        Assert.Contains("External Account Binding", without.Message, StringComparison.Ordinal);
        Assert.Empty(handler.Posts);

        var mac = RandomNumberGenerator.GetBytes(32);
        var eab = ExternalAccountBinding.FromBase64Url("kid-1", Base64Url.EncodeToString(mac));
        Assert.DoesNotContain(Base64Url.EncodeToString(mac), eab.ToString(), StringComparison.Ordinal);
        await client.CreateAccountAsync(["mailto:ops@example.com"], true, eab, ct);

        var post = handler.Posts.Single();
        var binding = post.Payload!["externalAccountBinding"]!;
        var header = JsonNode.Parse(Base64Url.DecodeFromChars(binding["protected"]!.GetValue<string>()))!;
        Assert.Equal("HS256", header["alg"]!.GetValue<string>());
        Assert.Equal("kid-1", header["kid"]!.GetValue<string>());
        Assert.Equal(Base + "/new-acct", header["url"]!.GetValue<string>());
        Assert.Null(header["nonce"]);
        var innerJwk = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(binding["payload"]!.GetValue<string>()));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(innerJwk), post.Protected["jwk"]));
        var expected = HMACSHA256.HashData(mac, Encoding.ASCII.GetBytes(binding["protected"]!.GetValue<string>() + "." + binding["payload"]!.GetValue<string>()));
        Assert.Equal(Base64Url.EncodeToString(expected), binding["signature"]!.GetValue<string>());
    }

    [Fact]
    public async Task Key_change_wraps_an_inner_jws_signed_by_the_new_key()
    {
        using var newKey = AcmeAccountKey.Generate();
        var handler = new FakeAcmeHandler()
            .On("POST", "/key-change", _ => new HttpResponseMessage(HttpStatusCode.OK))
            .On("POST", "/acct/1", _ => Account(HttpStatusCode.OK));
        var client = Client(handler);
        var ct = TestContext.Current.CancellationToken;
        await client.ChangeKeyAsync(newKey, ct);
        await client.GetAccountAsync(ct);

        var outer = handler.Posts.First();
        Assert.Equal(Base + "/acct/1", outer.Protected["kid"]!.GetValue<string>());
        Assert.True(outer.VerifiesWith(_key.ExportSubjectPublicKeyInfo()));
        var inner = new RecordedRequest(HttpMethod.Post, outer.Url, null, null, null, outer.PayloadText);
        Assert.Equal(Base + "/key-change", inner.Protected["url"]!.GetValue<string>());
        Assert.Null(inner.Protected["nonce"]);
        Assert.Null(inner.Protected["kid"]);
        Assert.True(inner.VerifiesWithHeaderJwk());
        Assert.True(inner.VerifiesWith(newKey.ExportSubjectPublicKeyInfo()));
        Assert.Equal(Base + "/acct/1", inner.Payload!["account"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(_key.JwkJson), inner.Payload!["oldKey"]));

        Assert.Same(newKey, client.AccountKey);
        Assert.True(handler.Posts.Last().VerifiesWith(newKey.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public async Task Find_existing_account_returns_null_when_there_is_none()
    {
        var handler = new FakeAcmeHandler().On("POST", "/new-acct", _ => Problem(HttpStatusCode.BadRequest, "accountDoesNotExist", "no account"));
        var client = Client(handler, withAccount: false);
        Assert.Null(await client.FindAccountAsync(TestContext.Current.CancellationToken));
        Assert.True(handler.Posts.Single().Payload!["onlyReturnExisting"]!.GetValue<bool>());
        Assert.Null(client.AccountUrl);
    }

    [Fact]
    public async Task Contact_update_and_deactivation_post_to_the_account()
    {
        var handler = new FakeAcmeHandler().On("POST", "/acct/1", _ => Account(HttpStatusCode.OK));
        var client = Client(handler);
        var ct = TestContext.Current.CancellationToken;
        await client.UpdateContactsAsync(["a@example.com", "mailto:b@example.com"], ct);
        await client.DeactivateAccountAsync(ct);
        var posts = handler.Posts.ToList();
        Assert.Equal("""{"contact":["mailto:a@example.com","mailto:b@example.com"]}""", posts[0].PayloadText);
        Assert.Equal("""{"status":"deactivated"}""", posts[1].PayloadText);
    }

    [Fact]
    public async Task Kid_requests_need_an_account_url()
    {
        var client = Client(new FakeAcmeHandler(), withAccount: false);
        var ex = await Assert.ThrowsAsync<AcmeException>(() => client.GetAccountAsync(TestContext.Current.CancellationToken));
        Assert.StartsWith("acme: no account URL", ex.Message, StringComparison.Ordinal);
    }
}
