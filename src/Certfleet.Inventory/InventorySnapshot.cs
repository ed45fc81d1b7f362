using System.Text.Json;
using System.Text.Json.Serialization;

namespace Certfleet.Inventory;

/// <summary>A saved inventory run.</summary>
public sealed record InventorySnapshot(int Version, DateTimeOffset TakenAt, IReadOnlyList<HostInventory> Hosts)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static InventorySnapshot FromJson(string json) =>
        JsonSerializer.Deserialize<InventorySnapshot>(json, Json) ?? throw new InvalidDataException("inventory: empty snapshot");

    /// <summary>
    /// Saves to <paramref name="latestPath"/>; an existing file there is first moved to <paramref name="previousPath"/>
    /// so that <c>inventory diff</c> can compare the two.
    /// </summary>
    public async Task SaveAsync(string latestPath, string previousPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(latestPath);
        ArgumentNullException.ThrowIfNull(previousPath);
        if (Path.GetDirectoryName(Path.GetFullPath(latestPath)) is { } dir)
        {
            Directory.CreateDirectory(dir);
        }

        var temp = latestPath + ".tmp";
        await File.WriteAllTextAsync(temp, ToJson(), cancellationToken);
        if (File.Exists(latestPath))
        {
            File.Move(latestPath, previousPath, overwrite: true);
        }

        File.Move(temp, latestPath, overwrite: true);
    }

    /// <summary>Loads a snapshot; null when the file does not exist.</summary>
    public static async Task<InventorySnapshot?> LoadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return FromJson(await File.ReadAllTextAsync(path, cancellationToken));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"inventory: {path} is not a snapshot ({e.Message}); delete it and run 'certfleet inventory' again", e);
        }
    }
}
