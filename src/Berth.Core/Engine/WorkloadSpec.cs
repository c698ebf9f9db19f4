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
    public int PidsLimit { get; init; } = 512;

    public static WorkloadSpec For(Container container) => new()
    {
        ContainerId = container.Id,
        ProjectId = container.ProjectId,
        Hostname = container.Hostname,
        Image = container.Image,
        Command = container.Command,
        Env = container.Env,
        Port = container.Port,
        Replicas = container.Replicas,
        CpuCores = container.CpuCores,
        MemoryMb = container.MemoryMb,
    };
}
