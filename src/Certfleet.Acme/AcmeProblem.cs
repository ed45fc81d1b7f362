using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Certfleet.Acme;

/// <summary>A problem document (RFC 7807, RFC 8555 §6.7).</summary>
public sealed record AcmeProblem(string Type, string? Detail, int? Status, string? Instance, AcmeIdentifier? Identifier, IReadOnlyList<AcmeProblem> Subproblems)
{
    /// <summary>The ACME error namespace.</summary>
    public const string AcmeErrorPrefix = "urn:ietf:params:acme:error:";

    /// <summary>The short ACME error name ("badNonce", "rateLimited"), or the full type for other namespaces.</summary>
    public string ShortType => Type.StartsWith(AcmeErrorPrefix, StringComparison.Ordinal) ? Type[AcmeErrorPrefix.Length..] : Type;

    /// <summary>True when the type is the given ACME error ("badNonce").</summary>
    public bool Is(string acmeError) => string.Equals(ShortType, acmeError, StringComparison.Ordinal);

    internal static AcmeProblem Parse(JsonNode? node, int? httpStatus)
    {
        var type = node.Str("type") ?? "about:blank";
        var status = (node as JsonObject)?["status"] is JsonValue s && s.TryGetValue<int>(out var st) ? st : httpStatus;
        var subs = new List<AcmeProblem>();
        if ((node as JsonObject)?["subproblems"] is JsonArray array)
        {
            subs.AddRange(array.Select(sub => Parse(sub, null)));
        }

        return new AcmeProblem(type, node.Str("detail"), status, node.Str("instance"),
            Json.ParseIdentifier((node as JsonObject)?["identifier"]), subs);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (Identifier is not null)
        {
            sb.Append(Identifier).Append(": ");
        }

        sb.Append(ShortType);
        if (!string.IsNullOrEmpty(Detail))
        {
            sb.Append(": ").Append(Detail);
        }

        if (Subproblems.Count > 0)
        {
            sb.Append(" [").AppendJoin("; ", Subproblems.Select(p => p.ToString())).Append(']');
        }

        return sb.ToString();
    }
}

/// <summary>Base for ACME failures; messages start with "acme: ".</summary>
public class AcmeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AcmeException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public AcmeException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public AcmeException() : base("acme: error") { }
}

/// <summary>The CA answered with a problem document.</summary>
public sealed class AcmeProblemException : AcmeException
{
    /// <summary>Creates the exception from a problem.</summary>
    public AcmeProblemException(AcmeProblem problem, Uri requestUrl, int httpStatus, DateTimeOffset? retryAfter = null, Uri? termsOfService = null)
        : base(BuildMessage(problem, requestUrl, httpStatus, retryAfter, termsOfService))
    {
        Problem = problem;
        RequestUrl = requestUrl;
        HttpStatus = httpStatus;
        RetryAfter = retryAfter;
        TermsOfService = termsOfService;
    }

    /// <summary>The problem document.</summary>
    public AcmeProblem Problem { get; }
    /// <summary>The URL that answered.</summary>
    public Uri RequestUrl { get; }
    /// <summary>The HTTP status.</summary>
    public int HttpStatus { get; }
    /// <summary>When to try again (from Retry-After), notably for rateLimited. The client never retries rateLimited itself.</summary>
    public DateTimeOffset? RetryAfter { get; }
    /// <summary>The Link rel="terms-of-service" URL that came with userActionRequired.</summary>
    public Uri? TermsOfService { get; }

    /// <summary>The short ACME error name.</summary>
    public string ShortType => Problem.ShortType;

    private static string BuildMessage(AcmeProblem problem, Uri url, int httpStatus, DateTimeOffset? retryAfter, Uri? tos)
    {
        var sb = new StringBuilder("acme: ");
        sb.Append(problem.ShortType);
        if (!string.IsNullOrEmpty(problem.Detail))
        {
            sb.Append(": ").Append(problem.Detail);
        }

        sb.Append(CultureInfo.InvariantCulture, $" (HTTP {httpStatus} from {url})");
        if (problem.Subproblems.Count > 0)
        {
            sb.Append("; subproblems: ").AppendJoin("; ", problem.Subproblems.Select(p => p.ToString()));
        }

        if (problem.Is("rateLimited"))
        {
            sb.Append(retryAfter is { } at
                ? string.Create(CultureInfo.InvariantCulture, $"; rate limited, retry after {at:u}")
                : "; rate limited, retry later");
        }

        if (problem.Is("userActionRequired"))
        {
            sb.Append("; action required at ").Append(tos?.ToString() ?? problem.Instance ?? "the CA's website");
            if (tos is not null && problem.Instance is not null)
            {
                sb.Append(" (").Append(problem.Instance).Append(')');
            }
        }

        return sb.ToString();
    }
}
