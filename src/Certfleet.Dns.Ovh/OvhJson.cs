using System.Text.Json.Serialization;

namespace Certfleet.Dns.Ovh;

/// <summary>POST /domain/zone/{zone}/record; the property order is the one OVH's own clients send.</summary>
internal sealed record RecordBody(
    [property: JsonPropertyName("fieldType")] string FieldType,
    [property: JsonPropertyName("subDomain")] string SubDomain,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("ttl")] int Ttl);

internal sealed record OvhRecord(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("zone")] string? Zone,
    [property: JsonPropertyName("subDomain")] string? SubDomain,
    [property: JsonPropertyName("fieldType")] string? FieldType,
    [property: JsonPropertyName("target")] string? Target,
    [property: JsonPropertyName("ttl")] int? Ttl);

internal sealed record AccessRuleBody(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("path")] string Path);

internal sealed record CredentialRequestBody(
    [property: JsonPropertyName("accessRules")] IReadOnlyList<AccessRuleBody> AccessRules,
    [property: JsonPropertyName("redirection")] string? Redirection);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RecordBody))]
[JsonSerializable(typeof(OvhRecord))]
[JsonSerializable(typeof(CredentialRequestBody))]
internal sealed partial class OvhJson : JsonSerializerContext;
