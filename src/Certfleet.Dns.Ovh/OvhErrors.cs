using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Certfleet.Dns.Ovh;

/// <summary>An error body of the OVH API, from either of its two shapes.</summary>
internal sealed record OvhError(string? Code, string? Class, string Message);

internal static partial class OvhErrors
{
    /// <summary>
    /// Parses <c>{"errorCode","httpCode","message"}</c> or <c>{"class","message","details"}</c>; the older
    /// shape carries no code, so it is derived from the message OVH uses for each.
    /// </summary>
    public static OvhError? Parse(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var root = doc.RootElement;
            var message = Str(root, "message") ?? "";
            var code = Str(root, "errorCode");
            var cls = Str(root, "class");
            if (code is null && cls is null && message.Length == 0)
            {
                return null;
            }

            return new OvhError(code ?? CodeFromMessage(message), cls, message);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string? CodeFromMessage(string message) => message switch
    {
        _ when message.StartsWith("Invalid signature", StringComparison.OrdinalIgnoreCase) => "INVALID_SIGNATURE",
        _ when message.StartsWith("Query out of time", StringComparison.OrdinalIgnoreCase) => "QUERY_TIME_OUT",
        _ when message.Contains("application key", StringComparison.OrdinalIgnoreCase) => "INVALID_KEY",
        _ when message.StartsWith("This credential", StringComparison.OrdinalIgnoreCase) || message.StartsWith("Invalid credential", StringComparison.OrdinalIgnoreCase) => "INVALID_CREDENTIAL",
        _ when message.StartsWith("This call has not been granted", StringComparison.OrdinalIgnoreCase) => "NOT_GRANTED_CALL",
        _ when message.StartsWith("You must login first", StringComparison.OrdinalIgnoreCase) => "NOT_CREDENTIAL",
        _ => null,
    };

    /// <summary>The access rule pattern that grants a call, e.g. <c>DELETE /domain/zone/example.com/record/*</c>.</summary>
    public static string RulePattern(string path)
    {
        var p = path.Split('?')[0];
        return RecordIdPath().Replace(p, "$1/*");
    }

    /// <summary>One line starting with <c>ovh: </c> that says what to do.</summary>
    public static string Describe(OvhError? error, HttpStatusCode status, string method, string path, Uri baseUrl)
    {
        var pattern = RulePattern(path);
        var zone = ZoneOf(path);
        return error?.Code switch
        {
            "INVALID_SIGNATURE" => "ovh: the API rejected the request signature (INVALID_SIGNATURE); check that applicationSecret is the secret of this applicationKey",
            "INVALID_CREDENTIAL" => "ovh: the consumer key is expired or was never validated (INVALID_CREDENTIAL); run `certfleet ovh credentials`, open the validation URL, then set the new consumerKey",
            "NOT_CREDENTIAL" => "ovh: the call carried no consumer key (NOT_CREDENTIAL); set consumerKey, or run `certfleet ovh credentials` to get one",
            "NOT_GRANTED_CALL" => $"ovh: the consumer key has no access rule for {method} {pattern} (NOT_GRANTED_CALL); run `certfleet ovh credentials --zone {zone ?? "ZONE"}` for a key with the rules certfleet needs, or add that rule",
            "INVALID_KEY" => $"ovh: applicationKey is not known on {baseUrl} (INVALID_KEY); check applicationKey and that endpoint is the region where the application was created",
            "QUERY_TIME_OUT" => "ovh: the request time was outside the API's window even after re-synchronising with GET /auth/time (QUERY_TIME_OUT); check the system clock and any proxy that delays requests",
            _ when status == HttpStatusCode.NotFound && zone is not null && !path.Contains("/record/", StringComparison.Ordinal) =>
                $"ovh: zone {zone} is not in this OVH account on {baseUrl} (404 {Short(error)}); check zone: and that the application and consumer key belong to the account hosting it",
            _ when status == HttpStatusCode.Unauthorized => $"ovh: the service account's token was refused ({(int)status} {Short(error)}); check clientId/clientSecret and the account's IAM policy",
            _ when status == HttpStatusCode.Forbidden && error?.Code is null && zone is not null => $"ovh: {method} {pattern} is not allowed ({(int)status} {Short(error)}); grant it to the consumer key or, for a service account, allow the matching dnsZone:apiovh action in its IAM policy",
            _ => $"ovh: {method} {path} failed: {(int)status} {Short(error)}",
        };
    }

    private static string Short(OvhError? error) =>
        error is null ? "no error body" : (error.Code ?? error.Class ?? "error") + (error.Message.Length > 0 ? ": " + OneLine(error.Message) : "");

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();

    private static string? ZoneOf(string path)
    {
        var m = ZonePath().Match(path.Split('?')[0]);
        return m.Success ? Uri.UnescapeDataString(m.Groups[1].Value) : null;
    }

    [GeneratedRegex(@"^(/domain/zone/[^/]+/record)/\d+$")]
    private static partial Regex RecordIdPath();

    [GeneratedRegex(@"^/domain/zone/([^/]+)")]
    private static partial Regex ZonePath();
}
