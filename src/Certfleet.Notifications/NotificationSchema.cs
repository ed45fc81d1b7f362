using System.Text.RegularExpressions;
using Certfleet.Configuration;

namespace Certfleet.Notifications;

/// <summary>Keys of the <c>notifications:</c> section, and their reading.</summary>
public static partial class NotificationSchema
{
    public static readonly ConfigKey Notifications = new("notifications", ConfigValueKind.Section,
        "Where failures, recoveries and expiry warnings are sent (Let's Encrypt no longer mails about expiry).", SectionPath: "notifications");

    public static readonly ConfigKey Smtp = new("smtp", ConfigValueKind.Section, "E-mail through an SMTP server.", SectionPath: "notifications.smtp");
    public static readonly ConfigKey Webhooks = new("webhooks", ConfigValueKind.NamedSections,
        "HTTP POST webhooks, by name.", SectionPath: "notifications.webhooks.NAME");

    public static readonly ConfigSectionSchema NotificationsSection = new("notifications", "Notification channels. Every channel gets every message.", [Smtp, Webhooks]);

    public static readonly ConfigKey Host = new("host", ConfigValueKind.String, "SMTP server name or address.", Required: true, Example: "smtp.example.com");
    public static readonly ConfigKey Port = new("port", ConfigValueKind.Integer,
        "SMTP port; default 587 for starttls, 465 for tls, 25 for none.", Example: "587");
    public static readonly ConfigKey Security = new("security", ConfigValueKind.String,
        "starttls: upgrade a plain connection and refuse a server without STARTTLS; tls: TLS from the start (port 465); none: no TLS (a local relay only).",
        Default: "starttls", Allowed: ["starttls", "tls", "none"]);
    public static readonly ConfigKey Username = new("username", ConfigValueKind.String, "Login for SMTP AUTH; no authentication when absent.", Example: "certfleet@example.com");
    public static readonly ConfigKey Password = new("password", ConfigValueKind.Secret, "SMTP AUTH password (env:NAME or file:PATH). Never sent over an unencrypted connection unless security is none.", Example: "file:/etc/certfleet/smtp.secret");
    public static readonly ConfigKey From = new("from", ConfigValueKind.String, "Sender address.", Required: true, Example: "certfleet@example.com");
    public static readonly ConfigKey To = new("to", ConfigValueKind.StringList, "Recipient addresses.", Required: true, Example: "[ops@example.com]");
    public static readonly ConfigKey CaBundle = new("caBundle", ConfigValueKind.String, "PEM file of extra roots trusted for the SMTP server's certificate.", Example: "/etc/certfleet/smtp-ca.pem");

    public static readonly ConfigSectionSchema SmtpSection = new("notifications.smtp", "E-mail notifications.", [Host, Port, Security, Username, Password, From, To, CaBundle]);

    public static readonly ConfigKey Url = new("url", ConfigValueKind.Secret,
        "Webhook URL (http or https). Slack and Teams URLs embed a credential: use env:NAME or file:PATH.", Required: true, Example: "env:SLACK_WEBHOOK_URL");
    public static readonly ConfigKey Format = new("format", ConfigValueKind.String,
        "Message format: json (certfleet's own object), slack (incoming webhook) or teams (Adaptive Card).", Default: "json", Allowed: ["json", "slack", "teams"]);

    public static readonly ConfigSectionSchema WebhookSection = new("notifications.webhooks.NAME", "One webhook; NAME appears in results and history.", [Url, Format]);

    public static IReadOnlyList<ConfigSectionSchema> Schemas => [NotificationsSection, SmtpSection, WebhookSection];

    /// <summary>Reads <c>notifications:</c> from the root; errors go to the node's error list.</summary>
    public static NotificationSettings Read(ConfigNode root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (root.GetSection(Notifications) is not { } node)
        {
            return NotificationSettings.None;
        }

        node.RejectUnknownKeys(NotificationsSection);
        SmtpSettings? smtp = null;
        if (node.GetSection(Smtp) is { } s)
        {
            smtp = ReadSmtp(s);
        }

        var webhooks = new List<WebhookSettings>();
        foreach (var (name, w) in node.GetNamedSections(Webhooks))
        {
            w.RejectUnknownKeys(WebhookSection);
            var url = w.GetSecret(Url);
            var format = w.GetString(Format) switch
            {
                "slack" => WebhookFormat.Slack,
                "teams" => WebhookFormat.Teams,
                _ => WebhookFormat.Json,
            };
            if (url is not null)
            {
                if (!Uri.TryCreate(url.Reveal(), UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp))
                {
                    // The value may be a credential: say where it came from, not what it is.
                    w.AddError(Url, $"the value from {url.Source} is not an http(s) URL");
                }
                else
                {
                    webhooks.Add(new WebhookSettings(name, url, format));
                }
            }
        }

        return new NotificationSettings(smtp, webhooks);
    }

    private static SmtpSettings? ReadSmtp(ConfigNode s)
    {
        s.RejectUnknownKeys(SmtpSection);
        var host = s.GetString(Host);
        var security = s.GetString(Security) switch
        {
            "tls" => SmtpSecurity.Tls,
            "none" => SmtpSecurity.None,
            _ => SmtpSecurity.StartTls,
        };
        var port = s.GetInt(Port, 1, 65535) ?? security switch
        {
            SmtpSecurity.Tls => 465,
            SmtpSecurity.None => 25,
            _ => 587,
        };
        var username = s.GetString(Username);
        var password = s.GetSecret(Password);
        if (password is not null && username is null)
        {
            s.AddError(Password, "is set but username is not; set both for SMTP AUTH, or neither");
        }

        var from = s.GetString(From);
        if (from is not null && !Address().IsMatch(from))
        {
            s.AddError(From, $"'{from}' is not an e-mail address");
        }

        var to = new List<string>();
        foreach (var (value, location) in s.GetStringList(To))
        {
            if (Address().IsMatch(value))
            {
                to.Add(value);
            }
            else
            {
                s.Errors.Add(location, $"notifications.smtp.to: '{value}' is not an e-mail address");
            }
        }

        var caBundle = s.GetString(CaBundle);
        if (caBundle is not null && !File.Exists(caBundle))
        {
            s.AddError(CaBundle, $"file {caBundle} does not exist");
        }

        return host is null || from is null || to.Count == 0 ? null : new SmtpSettings(host, port, security, username, password, from, to, caBundle);
    }

    [GeneratedRegex("^[^@\\s]+@[^@\\s]+$")]
    private static partial Regex Address();
}
