using System.Net;

namespace Certfleet.Dns.Ovh;

/// <summary>
/// An OVH API call failed. <see cref="Exception.Message"/> is one line starting with <c>ovh: </c> that
/// says what to do; it never contains a secret.
/// </summary>
public sealed class OvhApiException : Exception
{
    public OvhApiException(string message, string? errorCode = null, HttpStatusCode? status = null, string? queryId = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
        Status = status;
        QueryId = queryId;
    }

    public OvhApiException()
        : this("ovh: API call failed")
    {
    }

    public OvhApiException(string message)
        : this(message, null, null, null, null)
    {
    }

    public OvhApiException(string message, Exception innerException)
        : this(message, null, null, null, innerException)
    {
    }

    /// <summary>OVH's code (INVALID_SIGNATURE, NOT_GRANTED_CALL, ...) or a derived one (NOT_FOUND), when known.</summary>
    public string? ErrorCode { get; }

    public HttpStatusCode? Status { get; }

    /// <summary>The X-Ovh-QueryID of the failed call, for OVH support.</summary>
    public string? QueryId { get; }
}
