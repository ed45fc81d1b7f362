using Microsoft.Extensions.Logging;

namespace Certfleet.Notifications;

/// <summary>Outcome of one channel's delivery.</summary>
public sealed record ChannelResult(string Channel, bool Delivered, string? Error);

/// <summary>
/// Sends each notification to every channel. A channel that fails never stops the others nor the
/// caller's run: failures are results.
/// </summary>
public sealed partial class Notifier
{
    private readonly IReadOnlyList<INotificationChannel> _channels;
    private readonly ILogger _logger;

    public Notifier(IReadOnlyList<INotificationChannel> channels, ILogger<Notifier> logger)
    {
        _channels = channels;
        _logger = logger;
    }

    /// <summary>Channels for the configured settings; webhooks share <paramref name="http"/>.</summary>
    public static IReadOnlyList<INotificationChannel> CreateChannels(NotificationSettings settings, HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var channels = new List<INotificationChannel>();
        if (settings.Smtp is { } smtp)
        {
            channels.Add(new SmtpChannel(smtp));
        }

        channels.AddRange(settings.Webhooks.Select(w => new WebhookChannel(w, http)));
        return channels;
    }

    public IReadOnlyList<INotificationChannel> Channels => _channels;

    public async Task<IReadOnlyList<ChannelResult>> SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        var results = new List<ChannelResult>();
        foreach (var channel in _channels)
        {
            try
            {
                await channel.SendAsync(notification, cancellationToken);
                results.Add(new ChannelResult(channel.Name, true, null));
                LogSent(_logger, notification.EventName, channel.Name);
            }
            catch (NotificationException e)
            {
                results.Add(new ChannelResult(channel.Name, false, e.Message));
                LogFailed(_logger, channel.Name, e.Message);
            }
        }

        return results;
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Sent {Event} notification through {Channel}")]
    private static partial void LogSent(ILogger logger, string @event, string channel);

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "Notification through {Channel} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string channel, string error);
}
