using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Certfleet.Acme;

/// <summary>JsonNode helpers: no reflection serializer, so the assembly stays trimming-friendly.</summary>
internal static class Json
{
    /// <summary>The body as a JSON object; null when empty, not JSON or not an object (ACME bodies are objects).</summary>
    public static JsonObject? Parse(byte[] body)
    {
        if (body.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string? Str(this JsonNode? node, string name) =>
        (node as JsonObject)?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static bool? Bool(this JsonNode? node, string name) =>
        (node as JsonObject)?[name] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    public static Uri? Url(this JsonNode? node, string name, Uri? baseUri = null) =>
        node.Str(name) is { } s && Uri.TryCreate(baseUri, s, out var u) ? u : null;

    public static DateTimeOffset? Time(this JsonNode? node, string name) =>
        node.Str(name) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    public static IReadOnlyList<string> Strings(this JsonNode? node, string name) =>
        (node as JsonObject)?[name] is JsonArray a ? [.. a.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>()] : [];

    public static AcmeIdentifier? ParseIdentifier(JsonNode? node) =>
        node.Str("type") is { } t && node.Str("value") is { } v ? new AcmeIdentifier(t, v) : null;

    public static AcmeStatus Status(this JsonNode? node) => node.Str("status") switch
    {
        "pending" => AcmeStatus.Pending,
        "ready" => AcmeStatus.Ready,
        "processing" => AcmeStatus.Processing,
        "valid" => AcmeStatus.Valid,
        "invalid" => AcmeStatus.Invalid,
        "deactivated" => AcmeStatus.Deactivated,
        "expired" => AcmeStatus.Expired,
        "revoked" => AcmeStatus.Revoked,
        _ => AcmeStatus.Unknown,
    };

    public static byte[] Utf8(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());
}
