namespace Berth.Core.Containers;

/// <summary>One environment variable of a workload.</summary>
public sealed record EnvVar(string Key, string Value);

/// <summary>
/// The stored record of a workload: what was asked (configuration) and what Berth last confirmed
/// (state). Immutable; every change produces a new snapshot with <see cref="Version"/> + 1, which is
/// also the record's ETag.
/// </summary>
public sealed record Container
{
    public required Guid Id { get; init; }
    public required Guid UserId { get; init; }
    public Guid? ProjectId { get; init; }
    public required string EnvironmentId { get; init; }
    public required string Hostname { get; init; }
    public required string Image { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public IReadOnlyList<EnvVar> Env { get; init; } = [];
    public int? Port { get; init; }
    public int Replicas { get; init; } = 1;
    public double CpuCores { get; init; } = 1;
    public int MemoryMb { get; init; } = 512;
    public int DiskGb { get; init; } = 18;
    public required ContainerState State { get; init; }
    public string? StateReason { get; init; }

    /// <summary>The operation whose intent is recorded but not yet confirmed; survives a crash of the server.</summary>
    public ContainerOperation? PendingOperation { get; init; }

    /// <summary>True when configuration was changed by PATCH and not yet rolled out to the replicas.</summary>
    public bool HasPendingChanges { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? ObservedAt { get; init; }
    public DateTimeOffset? LastDeployedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public long Version { get; init; } = 1;

    public string ETag => $"\"{Version}\"";
}

/// <summary>An append-only line of a container's status log.</summary>
public sealed record StatusTransition
{
    public required Guid Id { get; init; }
    public required Guid ContainerId { get; init; }
    public ContainerState? FromStatus { get; init; }
    public required ContainerState ToStatus { get; init; }
    public required DateTimeOffset TransitionTime { get; init; }
    public required string Operation { get; init; }

    /// <summary>The user id that asked for the change, or <see cref="Actor.System"/>.</summary>
    public required string Actor { get; init; }

    public string? Reason { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Who a change is attributed to in the status log.</summary>
public static class Actor
{
    public const string System = "system";
}
