using System.Text.Json;
using System.Text.Json.Serialization;

namespace Certfleet.Deployment;

/// <summary>What one host last got of a certificate.</summary>
public sealed record HostDeployState(
    [property: JsonPropertyName("serial")] string? Serial,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("message")] string? Message = null);

/// <summary>
/// The deployment state of one certificate, <c>stateDir/deploy/NAME.json</c>: the serial being deployed, whether a run
/// was in progress (a killed run leaves <see cref="InProgress"/> set), and per host the last outcome. Written with
/// a temporary file and a rename after every host, so a kill never leaves it half written.
/// </summary>
public sealed record DeploymentState(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("serial")] string? Serial,
    [property: JsonPropertyName("inProgress")] bool InProgress,
    [property: JsonPropertyName("hosts")] IReadOnlyDictionary<string, HostDeployState> Hosts)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string PathOf(string stateDir, string name) => System.IO.Path.Combine(stateDir, "deploy", name + ".json");

    /// <summary>Hosts that do not have <paramref name="serial"/> deployed and verified.</summary>
    public IReadOnlyList<string> Pending(IEnumerable<string> hosts, string serial) =>
        hosts.Where(h => !Hosts.TryGetValue(h, out var s) || s.Serial != serial || s.Outcome is not ("Deployed" or "UpToDate")).ToList();

    public static async Task<DeploymentState?> LoadAsync(string stateDir, string name, CancellationToken cancellationToken)
    {
        var path = PathOf(stateDir, name);
        if (!File.Exists(path))
        {
            return null;
        }

        await using var stream = File.OpenRead(path);
        try
        {
            return await JsonSerializer.DeserializeAsync<DeploymentState>(stream, Json, cancellationToken);
        }
        catch (JsonException e)
        {
            throw new DeploymentException($"deploy: {path} is not valid JSON ({e.Message}); delete it and run certfleet deploy {name} again", e);
        }
    }

    public async Task SaveAsync(string stateDir, CancellationToken cancellationToken)
    {
        var path = PathOf(stateDir, Name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        await using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        {
            await JsonSerializer.SerializeAsync(stream, this, Json, cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
