using Microsoft.Extensions.Logging;

namespace Certfleet.Dns.Ovh;

internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "ovh: {Method} {Path} -> {Status} (query id {QueryId})")]
    public static partial void Call(ILogger logger, string method, string path, int status, string? queryId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "ovh: {Method} {Path} failed ({Reason}, query id {QueryId}); retry {Attempt} in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, string method, string path, string reason, string? queryId, int attempt, long delayMs);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "ovh: clock offset to {BaseUrl} is {OffsetSeconds} s")]
    public static partial void ClockOffset(ILogger logger, Uri baseUrl, long offsetSeconds);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "ovh: {Method} {Path} was out of the time window (query id {QueryId}); re-synchronising the clock and retrying once")]
    public static partial void TimeOut(ILogger logger, string method, string path, string? queryId);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "ovh: {Method} {Path} -> {Status} {Code} (query id {QueryId})")]
    public static partial void Failed(ILogger logger, string method, string path, int status, string? code, string? queryId);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "ovh: {Fqdn} is a CNAME to {Target} in OVH zone {Zone}; the TXT record goes there")]
    public static partial void FollowingCname(ILogger logger, string fqdn, string target, string zone);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "ovh: created TXT {SubDomain} in zone {Zone} (record {Id})")]
    public static partial void Created(ILogger logger, string subDomain, string zone, long id);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Information, Message = "ovh: deleted TXT {SubDomain} in zone {Zone} (record {Id})")]
    public static partial void Deleted(ILogger logger, string subDomain, string zone, long id);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Information, Message = "ovh: refreshed zone {Zone}")]
    public static partial void Refreshed(ILogger logger, string zone);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Warning, Message = "ovh: record {Id} in zone {Zone} no longer holds the value certfleet created; left alone")]
    public static partial void NotOurs(ILogger logger, long id, string zone);

    [LoggerMessage(EventId = 3016, Level = LogLevel.Warning, Message = "ovh: cannot read the nameservers of zone {Zone} ({Reason}); they will be found from its NS records")]
    public static partial void NoNameservers(ILogger logger, string zone, string reason);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Information, Message = "ovh: zone {Zone} selected for {Fqdn}")]
    public static partial void ZoneSelected(ILogger logger, string zone, string fqdn);
}
