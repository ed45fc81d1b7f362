using System.Net;
using System.Text.Json;
using Certfleet.Configuration;
using Certfleet.Lab;
using Microsoft.Extensions.Logging.Abstractions;

namespace Certfleet.Notifications.Tests;

public sealed class NotificationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Notification Failure = new(NotificationEvent.Failure, "example", "Renewal of example failed (2 consecutive failure(s)).", new DateTimeOffset(2025, 5, 1, 12, 0, 0, TimeSpan.Zero))
    {
        Domains = ["example.com", "*.example.com"],
        NotAfter = new DateTimeOffset(2025, 5, 20, 0, 0, 0, TimeSpan.Zero),
        Error = "dns: server refused the update (NOTAUTH)",
        FailureCount = 2,
        Host = "node1",
    };

    [Fact]
    public async Task Mail_reaches_a_real_smtp_server_with_subject_and_facts()
    {
        await using var smtp = await SmtpSink.StartAsync(Ct);
        var channel = new SmtpChannel(new SmtpSettings("127.0.0.1", smtp.Port, SmtpSecurity.None, null, null, "certfleet@example.test", ["ops@example.test", "oncall@example.test"], null));
        await channel.SendAsync(Failure, Ct);
        var output = await smtp.WaitForAsync("NOTAUTH", Ct);
        Assert.Contains("Subject: certfleet: renewal of example failed (node1)", output, StringComparison.Ordinal);
        Assert.Contains("X-Certfleet-Event: failure", output, StringComparison.Ordinal);
        Assert.Contains("error: dns: server refused the update (NOTAUTH)", output, StringComparison.Ordinal);
        Assert.Contains("oncall@example.test", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Starttls_is_required_unless_security_is_none()
    {
        await using var smtp = await SmtpSink.StartAsync(Ct);
        var channel = new SmtpChannel(new SmtpSettings("127.0.0.1", smtp.Port, SmtpSecurity.StartTls, "u", new Secret("hunter2", "literal"), "a@example.test", ["b@example.test"], null));
        var e = await Assert.ThrowsAsync<NotificationException>(() => channel.SendAsync(Failure, Ct));
        Assert.StartsWith("notify: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("STARTTLS", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_port_is_reported_and_does_not_stop_the_other_channels()
    {
        using var hook = new WebhookSink();
        var smtp = new SmtpChannel(new SmtpSettings("127.0.0.1", SmtpSink.FreePort(), SmtpSecurity.None, null, null, "a@example.test", ["b@example.test"], null), TimeSpan.FromSeconds(5));
        using var http = new HttpClient();
        var notifier = new Notifier([smtp, new WebhookChannel(new WebhookSettings("ops", new Secret(hook.Url.ToString(), "literal"), WebhookFormat.Json), http)], NullLogger<Notifier>.Instance);
        var results = await notifier.SendAsync(Failure, Ct);
        Assert.False(results[0].Delivered);
        Assert.Contains("cannot reach SMTP server", results[0].Error, StringComparison.Ordinal);
        Assert.True(results[1].Delivered);
        Assert.Single(hook.Requests);
    }

    [Theory]
    [InlineData(WebhookFormat.Json)]
    [InlineData(WebhookFormat.Slack)]
    [InlineData(WebhookFormat.Teams)]
    public async Task Webhooks_post_json_in_each_format(WebhookFormat format)
    {
        using var hook = new WebhookSink();
        using var http = new HttpClient();
        await new WebhookChannel(new WebhookSettings("ops", new Secret(hook.Url.ToString(), "literal"), format), http).SendAsync(Failure, Ct);
        Assert.True(hook.Requests.TryDequeue(out var request));
        Assert.Equal("application/json", request.ContentType);
        using var doc = JsonDocument.Parse(request.Body);
        var root = doc.RootElement;
        switch (format)
        {
            case WebhookFormat.Json:
                Assert.Equal("failure", root.GetProperty("event").GetString());
                Assert.Equal("example", root.GetProperty("certificate").GetString());
                Assert.Equal(2, root.GetProperty("failures").GetInt32());
                Assert.Equal("2025-05-20T00:00:00Z", root.GetProperty("notAfter").GetString());
                Assert.Equal(["example.com", "*.example.com"], root.GetProperty("domains").EnumerateArray().Select(e => e.GetString()));
                break;
            case WebhookFormat.Slack:
                Assert.Equal("certfleet: renewal of example failed (node1)", root.GetProperty("text").GetString());
                Assert.Contains("NOTAUTH", root.GetProperty("blocks")[1].GetProperty("text").GetProperty("text").GetString(), StringComparison.Ordinal);
                break;
            case WebhookFormat.Teams:
                var card = root.GetProperty("attachments")[0];
                Assert.Equal("application/vnd.microsoft.card.adaptive", card.GetProperty("contentType").GetString());
                var facts = card.GetProperty("content").GetProperty("body")[2].GetProperty("facts");
                Assert.Contains(facts.EnumerateArray(), f => f.GetProperty("title").GetString() == "error" && f.GetProperty("value").GetString()!.Contains("NOTAUTH", StringComparison.Ordinal));
                break;
        }
    }

    [Fact]
    public async Task A_refusing_webhook_is_named_without_its_url()
    {
        using var hook = new WebhookSink(HttpStatusCode.Forbidden);
        using var http = new HttpClient();
        var e = await Assert.ThrowsAsync<NotificationException>(() =>
            new WebhookChannel(new WebhookSettings("slack", new Secret(hook.Url.ToString(), "env:SLACK"), WebhookFormat.Slack), http).SendAsync(Failure, Ct));
        Assert.Contains("webhook slack answered 403", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-token", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_are_read_with_defaults_and_errors_located()
    {
        var errors = new ConfigErrors();
        var root = ConfigNode.Parse("""
            notifications:
              smtp:
                host: smtp.example.test
                security: tls
                from: certfleet@example.test
                to: [ops@example.test, not-an-address]
              webhooks:
                ops: { url: "https://hooks.example.test/x", format: teams }
                bad: { url: "ftp://x" }
            """, "certfleet.yaml", errors);
        var settings = NotificationSchema.Read(root);
        Assert.Equal(465, settings.Smtp!.Port);
        Assert.Equal(SmtpSecurity.Tls, settings.Smtp.Security);
        Assert.Equal(["ops@example.test"], settings.Smtp.To);
        Assert.Equal(WebhookFormat.Teams, Assert.Single(settings.Webhooks).Format);
        Assert.Contains(errors.All, e => e.Message.Contains("not-an-address", StringComparison.Ordinal) && e.Location.Line == 6);
        Assert.Contains(errors.All, e => e.Message.Contains("not an http(s) URL", StringComparison.Ordinal) && !e.Message.Contains("ftp", StringComparison.Ordinal));
    }
}
