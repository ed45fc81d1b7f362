using Certfleet.Configuration;

namespace Certfleet.Notifications;

/// <summary>How the SMTP connection is secured.</summary>
public enum SmtpSecurity
{
    /// <summary>Plain connection upgraded with STARTTLS (RFC 3207); refused when the server does not offer it.</summary>
    StartTls,
    /// <summary>TLS from the first byte (RFC 8314 implicit TLS, usually port 465).</summary>
    Tls,
    /// <summary>No TLS at all: only for a relay on the same host.</summary>
    None,
}

/// <summary>The webhook message format.</summary>
public enum WebhookFormat
{
    /// <summary>certfleet's own JSON object.</summary>
    Json,
    /// <summary>Slack incoming webhook (<c>text</c> and blocks).</summary>
    Slack,
    /// <summary>Microsoft Teams incoming webhook / workflow (Adaptive Card message).</summary>
    Teams,
}

public sealed record SmtpSettings(
    string Host,
    int Port,
    SmtpSecurity Security,
    string? Username,
    Secret? Password,
    string From,
    IReadOnlyList<string> To,
    string? CaBundle);

public sealed record WebhookSettings(string Name, Secret Url, WebhookFormat Format);

/// <summary>The <c>notifications:</c> section.</summary>
public sealed record NotificationSettings(SmtpSettings? Smtp, IReadOnlyList<WebhookSettings> Webhooks)
{
    public static NotificationSettings None { get; } = new(null, []);

    public bool Any => Smtp is not null || Webhooks.Count > 0;
}
