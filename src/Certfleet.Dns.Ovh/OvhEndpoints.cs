namespace Certfleet.Dns.Ovh;

/// <summary>The OVH API regions and their base and OAuth2 token URLs.</summary>
public static class OvhEndpoints
{
    /// <summary>Endpoint name → API base URL (no trailing slash).</summary>
    public static IReadOnlyDictionary<string, Uri> BaseUrls { get; } = new Dictionary<string, Uri>(StringComparer.Ordinal)
    {
        ["ovh-eu"] = new("https://eu.api.ovh.com/1.0"),
        ["ovh-ca"] = new("https://ca.api.ovh.com/1.0"),
        ["ovh-us"] = new("https://api.us.ovhcloud.com/1.0"),
        ["kimsufi-eu"] = new("https://eu.api.kimsufi.com/1.0"),
        ["kimsufi-ca"] = new("https://ca.api.kimsufi.com/1.0"),
        ["soyoustart-eu"] = new("https://eu.api.soyoustart.com/1.0"),
        ["soyoustart-ca"] = new("https://ca.api.soyoustart.com/1.0"),
    };

    /// <summary>Endpoint name → OAuth2 token URL; only the OVHcloud regions have service accounts.</summary>
    public static IReadOnlyDictionary<string, Uri> TokenUrls { get; } = new Dictionary<string, Uri>(StringComparer.Ordinal)
    {
        ["ovh-eu"] = new("https://www.ovh.com/auth/oauth2/token"),
        ["ovh-ca"] = new("https://ca.ovh.com/auth/oauth2/token"),
        ["ovh-us"] = new("https://us.ovhcloud.com/auth/oauth2/token"),
    };

    /// <summary>Where applications are created for an endpoint name (for messages and docs).</summary>
    public static IReadOnlyDictionary<string, string> CreateAppUrls { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ovh-eu"] = "https://eu.api.ovh.com/createApp/",
        ["ovh-ca"] = "https://ca.api.ovh.com/createApp/",
        ["ovh-us"] = "https://api.us.ovhcloud.com/createApp/",
        ["kimsufi-eu"] = "https://eu.api.kimsufi.com/createApp/",
        ["kimsufi-ca"] = "https://ca.api.kimsufi.com/createApp/",
        ["soyoustart-eu"] = "https://eu.api.soyoustart.com/createApp/",
        ["soyoustart-ca"] = "https://ca.api.soyoustart.com/createApp/",
    };
}
