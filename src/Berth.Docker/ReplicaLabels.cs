using System.Globalization;

namespace Berth.Docker;

/// <summary>
/// The labels that mark a Docker container as a replica Berth owns. Berth finds its replicas only
/// through these, so it never touches what it did not create.
/// </summary>
internal static class ReplicaLabels
{
    public const string Managed = "berth.managed";
    public const string Instance = "berth.instance";
    public const string Container = "berth.container";
    public const string Replica = "berth.replica";
    public const string Project = "berth.project";
    public const string Generation = "berth.generation";

    public static Dictionary<string, string> For(string instanceId, Guid containerId, Guid? projectId, int index, int generation) => new(StringComparer.Ordinal)
    {
        [Managed] = "true",
        [Instance] = instanceId,
        [Container] = containerId.ToString("D"),
        [Replica] = index.ToString(CultureInfo.InvariantCulture),
        [Generation] = generation.ToString(CultureInfo.InvariantCulture),
        [Project] = projectId?.ToString("D") ?? "",
    };

    /// <summary>The labels of a container's named volume: found, and removed, with the container.</summary>
    public static Dictionary<string, string> ForVolume(string instanceId, Guid containerId) => new(StringComparer.Ordinal)
    {
        [Managed] = "true",
        [Instance] = instanceId,
        [Container] = containerId.ToString("D"),
    };

    /// <summary>The engine's name of a container's named volume: unique per container, readable in <c>docker volume ls</c>.</summary>
    public static string VolumeName(Guid containerId, string name) =>
        string.Create(CultureInfo.InvariantCulture, $"berth-{containerId:N}-{name}");

    /// <summary>The engine-side filter for every replica of this instance, or of one of its containers.</summary>
    public static Dictionary<string, IDictionary<string, bool>> Filter(string instanceId, Guid? containerId = null)
    {
        var labels = new Dictionary<string, bool>(StringComparer.Ordinal) { [$"{Instance}={instanceId}"] = true };
        if (containerId is { } id)
        {
            labels[$"{Container}={id:D}"] = true;
        }
        return new Dictionary<string, IDictionary<string, bool>>(StringComparer.Ordinal) { ["label"] = labels };
    }

    /// <summary>
    /// Unique on the engine and readable in <c>docker ps</c>: hostname, the random end of the container id
    /// (a UUIDv7 starts with its time), replica index, and from the first deploy on the generation
    /// (<c>berth-web-89abcdef-0-v2</c>), so a new replica can start next to the one it replaces.
    /// </summary>
    public static string Name(string hostname, Guid containerId, int index, int generation = 0) =>
        generation == 0
            ? string.Create(CultureInfo.InvariantCulture, $"berth-{hostname}-{containerId.ToString("N")[^8..]}-{index}")
            : string.Create(CultureInfo.InvariantCulture, $"berth-{hostname}-{containerId.ToString("N")[^8..]}-{index}-v{generation}");

    public static int GenerationOf(IDictionary<string, string>? labels) =>
        labels is not null && labels.TryGetValue(Generation, out var raw)
        && int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var generation) ? generation : 0;

    public static Guid? ContainerId(IDictionary<string, string>? labels) =>
        labels is not null && labels.TryGetValue(Container, out var raw) && Guid.TryParse(raw, out var id) ? id : null;

    public static int? Index(IDictionary<string, string>? labels) =>
        labels is not null && labels.TryGetValue(Replica, out var raw)
        && int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null;

    /// <summary>Docker ids are 64 hex characters; the first 12 are what people see in <c>docker ps</c>.</summary>
    public static string Short(string engineId) => engineId.Length > 12 ? engineId[..12] : engineId;
}
