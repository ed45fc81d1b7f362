using Certfleet.Acme;
using Certfleet.Configuration;
using Certfleet.Dns;
using Certfleet.Dns.Ovh;
using Certfleet.Engine;
using Certfleet.Store;

namespace Certfleet.Cli;

/// <summary>Maps a failure to its exit code and the one message the user sees.</summary>
internal static class ErrorMapper
{
    public static (int Code, string Message) Map(Exception e) => e switch
    {
        ConfigurationException c => (ExitCodes.Usage, c.Message),
        UsageException u => (ExitCodes.Usage, u.Message),
        OperationCanceledException => (ExitCodes.Interrupted, "certfleet: interrupted; records created by this run were removed, run the command again to finish"),
        AcmeException or StoreException or CertfleetException => (ExitCodes.Failure, e.Message),
        DnsProviderException or DnsPropagationException or OvhApiException => (ExitCodes.Failure, e.Message),
        HttpRequestException h => (ExitCodes.Failure, $"certfleet: network error: {h.Message}; check that the server is reachable"),
        IOException or UnauthorizedAccessException => (ExitCodes.Failure, $"certfleet: {e.Message}"),
        _ => (ExitCodes.Failure, $"certfleet: unexpected error ({e.GetType().Name}: {e.Message}); rerun with --verbose and report it"),
    };

    public static bool IsUnexpected(Exception e) => Map(e).Message.StartsWith("certfleet: unexpected", StringComparison.Ordinal);
}
