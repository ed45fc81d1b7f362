using Microsoft.Extensions.Logging;

namespace Certfleet.Dns;

internal static partial class Log
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "dns: adding TXT {Fqdn} = '{Value}' through {Provider}")]
    public static partial void Adding(ILogger logger, string provider, string fqdn, string value);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "dns: removing TXT {Fqdn} = '{Value}' through {Provider}")]
    public static partial void Removing(ILogger logger, string provider, string fqdn, string value);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "dns: {Records} challenge record(s) at {Names} name(s) are served by every nameserver")]
    public static partial void Published(ILogger logger, int records, int names);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "dns: removed {Removed} challenge record(s), {Left} left for the next run")]
    public static partial void CleanedUp(ILogger logger, int removed, int left);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "dns: cleanup through {Provider} failed: {Reason}")]
    public static partial void CleanupFailed(ILogger logger, string provider, string reason);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "dns: removing {Count} challenge record(s) left by an earlier run")]
    public static partial void Sweeping(ILogger logger, int count);

    [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "dns: nameservers of {Zone}: {Nameservers}")]
    public static partial void NameserversFound(ILogger logger, string zone, string nameservers);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "dns: cannot find the nameservers of {Zone} yet: {Reason}")]
    public static partial void DiscoveryFailed(ILogger logger, string zone, string reason);

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "dns: {RecordName}: {Ready} of {Total} nameservers serve every value")]
    public static partial void Progress(ILogger logger, string recordName, int ready, int total);

    [LoggerMessage(EventId = 113, Level = LogLevel.Debug, Message = "dns: {Nameserver} serves {RecordName} = [{Values}]")]
    public static partial void Served(ILogger logger, string nameserver, string recordName, string values);

    [LoggerMessage(EventId = 114, Level = LogLevel.Warning, Message = "dns: {Description}")]
    public static partial void PropagationTimedOut(ILogger logger, string description);
}
