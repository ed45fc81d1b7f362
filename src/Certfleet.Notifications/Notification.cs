namespace Certfleet.Notifications;

/// <summary>Why a notification is sent.</summary>
public enum NotificationEvent
{
    /// <summary>A renewal failed.</summary>
    Failure,
    /// <summary>A renewal succeeded after one or more failures.</summary>
    Recovered,
    /// <summary>A certificate is within the warning period of its expiry without a successful renewal.</summary>
    ExpiryWarning,
    /// <summary><c>certfleet notify test</c>.</summary>
    Test,
}

/// <summary>One message to every channel. <see cref="Error"/> never holds key material.</summary>
public sealed record Notification(NotificationEvent Event, string Certificate, string Summary, DateTimeOffset At)
{
    public IReadOnlyList<string> Domains { get; init; } = [];
    public DateTimeOffset? NotAfter { get; init; }
    public string? Error { get; init; }
    public int FailureCount { get; init; }
    public DateTimeOffset? NextAttempt { get; init; }
    /// <summary>Host that sent it, so a fleet of installations can be told apart.</summary>
    public string Host { get; init; } = Environment.MachineName;

    public string EventName => Event switch
    {
        NotificationEvent.Failure => "failure",
        NotificationEvent.Recovered => "recovered",
        NotificationEvent.ExpiryWarning => "expiry-warning",
        NotificationEvent.Test => "test",
        _ => "unknown",
    };

    /// <summary>One-line title, e.g. for a mail subject.</summary>
    public string Title => Event switch
    {
        NotificationEvent.Failure => $"certfleet: renewal of {Certificate} failed",
        NotificationEvent.Recovered => $"certfleet: {Certificate} renewed again",
        NotificationEvent.ExpiryWarning => $"certfleet: {Certificate} expires {NotAfter:yyyy-MM-dd HH:mm} UTC",
        NotificationEvent.Test => "certfleet: test notification",
        _ => "certfleet",
    } + $" ({Host})";

    /// <summary>Plain-text body: every fact on its own line.</summary>
    public string Text
    {
        get
        {
            var lines = new List<string> { Summary, "" };
            if (Certificate.Length > 0)
            {
                lines.Add($"certificate: {Certificate}");
            }

            if (Domains.Count > 0)
            {
                lines.Add($"names: {string.Join(", ", Domains)}");
            }

            if (NotAfter is { } n)
            {
                lines.Add($"expires: {n.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
            }

            if (Error is not null)
            {
                lines.Add($"error: {Error}");
            }

            if (FailureCount > 0)
            {
                lines.Add($"consecutive failures: {FailureCount}");
            }

            if (NextAttempt is { } next)
            {
                lines.Add($"next attempt: {next.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
            }

            lines.Add($"host: {Host}");
            lines.Add($"time: {At.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC");
            return string.Join('\n', lines) + "\n";
        }
    }
}

/// <summary>A way to reach people: an SMTP relay or a webhook.</summary>
public interface INotificationChannel
{
    /// <summary>Name shown in results, e.g. <c>smtp</c> or <c>webhook:ops</c>.</summary>
    string Name { get; }

    /// <summary>Sends; throws <see cref="NotificationException"/> when the peer refuses or cannot be reached.</summary>
    Task SendAsync(Notification notification, CancellationToken cancellationToken);
}

/// <summary>A channel could not deliver. The message starts with <c>notify: </c> and never contains secrets.</summary>
public sealed class NotificationException : Exception
{
    public NotificationException(string message) : base(message)
    {
    }

    public NotificationException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public NotificationException() : base("notify: delivery failed")
    {
    }
}
