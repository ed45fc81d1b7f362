using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;

namespace Certfleet.Acme;

/// <summary>JWS flattened JSON serialization (RFC 7515 §7.2.2) as ACME uses it (RFC 8555 §6.2).</summary>
internal static class Jws
{
    /// <summary>Signs <paramref name="payload"/>; null means POST-as-GET, whose payload is the empty string (§6.3).</summary>
    public static JsonObject Sign(AcmeAccountKey key, JsonObject protectedHeader, byte[]? payload)
    {
        var protectedB64 = Base64Url.EncodeToString(Json.Utf8(protectedHeader));
        var payloadB64 = payload is null ? "" : Base64Url.EncodeToString(payload);
        var signature = key.Sign(Encoding.ASCII.GetBytes(protectedB64 + "." + payloadB64));
        return new JsonObject
        {
            ["protected"] = protectedB64,
            ["payload"] = payloadB64,
            ["signature"] = Base64Url.EncodeToString(signature),
        };
    }

    public static JsonObject Header(AcmeAccountKey key, Uri url, string? nonce, Uri? kid)
    {
        var header = new JsonObject { ["alg"] = key.Algorithm };
        if (kid is null)
        {
            header["jwk"] = JsonNode.Parse(key.JwkJson);
        }
        else
        {
            header["kid"] = kid.ToString();
        }

        if (nonce is not null)
        {
            header["nonce"] = nonce;
        }

        header["url"] = url.ToString();
        return header;
    }

    /// <summary>The externalAccountBinding member (RFC 8555 §7.3.4): HS256 over the account JWK.</summary>
    public static JsonObject ExternalAccountBinding(ExternalAccountBinding eab, AcmeAccountKey accountKey, Uri newAccountUrl)
    {
        var header = new JsonObject { ["alg"] = "HS256", ["kid"] = eab.KeyId, ["url"] = newAccountUrl.ToString() };
        var protectedB64 = Base64Url.EncodeToString(Json.Utf8(header));
        var payloadB64 = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(accountKey.JwkJson));
        var mac = System.Security.Cryptography.HMACSHA256.HashData(eab.MacKey, Encoding.ASCII.GetBytes(protectedB64 + "." + payloadB64));
        return new JsonObject
        {
            ["protected"] = protectedB64,
            ["payload"] = payloadB64,
            ["signature"] = Base64Url.EncodeToString(mac),
        };
    }
}
