namespace Berth.Core.Containers;

/// <summary>The fields a client may send to create a container; null means "use the default".</summary>
public sealed record CreateContainerRequest
{
    public string? Hostname { get; init; }
    public string? Image { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public IReadOnlyList<EnvVar>? Env { get; init; }
    public int? Port { get; init; }
    public int? Replicas { get; init; }
    public double? CpuCores { get; init; }
    public int? MemoryMb { get; init; }
    public int? DiskGb { get; init; }
}

/// <summary>A configuration change (PATCH); null fields stay as they are.</summary>
public sealed record UpdateContainerRequest
{
    public string? Image { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public IReadOnlyList<EnvVar>? Env { get; init; }
    public int? Port { get; init; }
    public int? Replicas { get; init; }
    public double? CpuCores { get; init; }
    public int? MemoryMb { get; init; }
    public int? DiskGb { get; init; }
}
