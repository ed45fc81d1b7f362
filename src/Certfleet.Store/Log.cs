using Microsoft.Extensions.Logging;

namespace Certfleet.Store;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Stored {Name} version {Version} (serial {Serial}, expires {NotAfter:O})")]
    internal static partial void VersionStored(ILogger logger, string name, int version, string serial, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "live/{Name} now points to version {Version}")]
    internal static partial void LiveSwitched(ILogger logger, string name, int version);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Pruned {Count} old versions of {Name}")]
    internal static partial void VersionsPruned(ILogger logger, string name, int count);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Stored ACME account {AccountUrl} for {DirectoryUrl} in {Directory}")]
    internal static partial void AccountStored(ILogger logger, string accountUrl, string directoryUrl, string directory);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Journaled pending DNS record {Id} ({Provider})")]
    internal static partial void PendingAdded(ILogger logger, string id, string provider);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "Removed pending DNS record {Id} from the journal")]
    internal static partial void PendingRemoved(ILogger logger, string id);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "{Path} disagrees with the certificate of {Name} version {Version}; using the certificate's facts (save the certificate again to rewrite it)")]
    internal static partial void MetadataContradicted(ILogger logger, string name, int version, string path);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Could not remove leftover {Path}: {Reason}")]
    internal static partial void LeftoverNotRemoved(ILogger logger, string path, string reason);
}
