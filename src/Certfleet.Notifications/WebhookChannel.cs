using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Certfleet.Notifications;

/// <summary>An HTTP POST of the notification as JSON, in certfleet's own shape or Slack's or Teams'.</summary>
public sealed class WebhookChannel(WebhookSettings settings, HttpClient http) : INotificationChannel
{
    public string Name => "webhook:" + settings.Name;

    public async Task SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var body = Format(settings.Format, notification).ToJsonString();
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync(new Uri(settings.Url.Reveal()), content, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            // The URL may embed a credential (Slack, Teams): name the webhook, never the URL.
            throw new NotificationException($"notify: webhook {settings.Name} cannot be reached ({e.HttpRequestError}); check notifications.webhooks.{settings.Name}.url", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NotificationException($"notify: webhook {settings.Name} did not answer in time", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new NotificationException($"notify: webhook {settings.Name} answered {(int)response.StatusCode} {response.ReasonPhrase}; check its URL and format ({settings.Format.ToString().ToLowerInvariant()})");
            }
        }
    }

    internal static JsonObject Format(WebhookFormat format, Notification n) => format switch
    {
        WebhookFormat.Slack => Slack(n),
        WebhookFormat.Teams => Teams(n),
        _ => Generic(n),
    };

    private static JsonObject Generic(Notification n)
    {
        var o = new JsonObject
        {
            ["event"] = n.EventName,
            ["certificate"] = n.Certificate,
            ["summary"] = n.Summary,
            ["title"] = n.Title,
            ["host"] = n.Host,
            ["time"] = Time(n.At),
            ["domains"] = new JsonArray(n.Domains.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
            ["failures"] = n.FailureCount,
        };
        o["notAfter"] = n.NotAfter is { } t ? Time(t) : null;
        o["error"] = n.Error;
        o["nextAttempt"] = n.NextAttempt is { } a ? Time(a) : null;
        return o;
    }

    private static JsonObject Slack(Notification n) => new()
    {
        // "text" is the fallback for notifications; blocks are what the channel shows.
        ["text"] = n.Title,
        ["blocks"] = new JsonArray(
            new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = Truncate(n.Title, 150) } },
            new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = Truncate("```" + n.Text.Replace("```", "'''", StringComparison.Ordinal) + "```", 3000) } }),
    };

    private static JsonObject Teams(Notification n)
    {
        var facts = new JsonArray();
        foreach (var line in n.Text.Split('\n').Skip(2).Where(l => l.Contains(": ", StringComparison.Ordinal)))
        {
            var i = line.IndexOf(": ", StringComparison.Ordinal);
            facts.Add(new JsonObject { ["title"] = line[..i], ["value"] = line[(i + 2)..] });
        }

        var card = new JsonObject
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["body"] = new JsonArray(
                new JsonObject { ["type"] = "TextBlock", ["size"] = "Medium", ["weight"] = "Bolder", ["wrap"] = true, ["text"] = n.Title },
                new JsonObject { ["type"] = "TextBlock", ["wrap"] = true, ["text"] = n.Summary },
                new JsonObject { ["type"] = "FactSet", ["facts"] = facts }),
        };
        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray(new JsonObject
            {
                ["contentType"] = "application/vnd.microsoft.card.adaptive",
                ["content"] = card,
            }),
        };
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
