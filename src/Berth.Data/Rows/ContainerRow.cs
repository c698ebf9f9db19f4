using Berth.Core.Containers;

namespace Berth.Data.Rows;

/// <summary>A stored container. Env, Command and the configuration parts are JSON text (secret values encrypted); a set <see cref="DeletedAt"/> hides the row.</summary>
internal sealed class ContainerRow
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public Guid? ProjectId { get; set; }
    public string EnvironmentId { get; set; } = "";
    public string Hostname { get; set; } = "";
    public string Image { get; set; } = "";
    public string? Command { get; set; }
    public string Env { get; set; } = "[]";
    public int? Port { get; set; }
    public int Replicas { get; set; }
    public double CpuCores { get; set; }
    public int MemoryMb { get; set; }
    public int DiskGb { get; set; }
    public ContainerState State { get; set; }
    public string? StateReason { get; set; }
    public ContainerOperation? PendingOperation { get; set; }
    public string? HealthCheck { get; set; }
    public string Domains { get; set; } = "[]";
    public string Volumes { get; set; } = "[]";

    /// <summary>The whole configuration a PATCH asked for and no deploy has rolled out yet (JSON), or null.</summary>
    public string? Pending { get; set; }

    public int ReplicaGeneration { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? ObservedAt { get; set; }
    public DateTimeOffset? LastDeployedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public long Version { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
}
