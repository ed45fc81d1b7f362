using Certfleet.Dns;
using System.Net;

namespace Certfleet.Dns.Ovh;

/// <summary>
/// An OVH API call failed. <see cref="Exception.Message"/> is one line starting with <c>ovh: </c> that
/// says what to do; it never contains a secret.
/// </summary>
public sealed class OvhApiException : Exception, IDnsRequestRefusal
{
    /// <summary>A 4xx answer (other than timeouts and rate limits) means OVH refused the call and changed nothing.</summary>
    public bool NothingChanged => BeforeAnyChange || (Status is { } s && (int)s is >= 400 and < 500 and not 408 and not 409 and not 429);

    /// <summary>Raised before any call that could change a zone (e.g. zone discovery found no zone).</summary>
    public bool BeforeAnyChange { get; init; }

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
