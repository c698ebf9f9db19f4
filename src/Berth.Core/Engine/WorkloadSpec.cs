using Berth.Core.Containers;

namespace Berth.Core.Engine;

/// <summary>What the engine must run for one container: N identical replicas of this.</summary>
public sealed record WorkloadSpec
{
    public required Guid ContainerId { get; init; }
    public Guid? ProjectId { get; init; }
    public required string Hostname { get; init; }
    public required string Image { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public IReadOnlyList<EnvVar> Env { get; init; } = [];

    /// <summary>A port inside the container to publish on 127.0.0.1 (a free host port per replica).</summary>
    public int? Port { get; init; }

    public int Replicas { get; init; } = 1;
    public double CpuCores { get; init; } = 1;
    public int MemoryMb { get; init; } = 512;

    /// <summary>The writable layer's size limit, where the engine's storage driver can enforce one.</summary>
    public int DiskGb { get; init; } = 18;

    public int PidsLimit { get; init; } = 512;

    /// <summary>Named volumes shared by every replica and generation of the container.</summary>
    public IReadOnlyList<VolumeMount> Volumes { get; init; } = [];

    /// <summary>Which set of replicas new ones belong to (see <see cref="Container.ReplicaGeneration"/>).</summary>
    public int Generation { get; init; }

    /// <summary>The replicas of what <paramref name="container"/> runs now.</summary>
    public static WorkloadSpec For(Container container) =>
        For(container, container.Config, container.ReplicaGeneration);

    /// <summary>Replicas of <paramref name="config"/> in generation <paramref name="generation"/>, for a deploy.</summary>
    public static WorkloadSpec For(Container container, ContainerConfig config, int generation) => new()
    {
        ContainerId = container.Id,
        ProjectId = container.ProjectId,
        Hostname = container.Hostname,
        Image = config.Image,
        Command = config.Command,
        Env = config.Env,
        Port = config.Port,
        Replicas = config.Replicas,
        CpuCores = config.CpuCores,
        MemoryMb = config.MemoryMb,
        DiskGb = config.DiskGb,
        Volumes = config.Volumes,
        Generation = generation,
    };
}
