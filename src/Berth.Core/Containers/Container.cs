namespace Berth.Core.Containers;

/// <summary>
/// One environment variable of a workload. A <see cref="Secret"/> value is encrypted at rest and
/// shown as <see cref="Masked"/> on every read.
/// </summary>
public sealed record EnvVar(string Key, string Value, bool Secret = false)
{
    public const string Masked = "***";

    /// <summary>What a client may see: the value, or <see cref="Masked"/> for a secret.</summary>
    public string VisibleValue => Secret ? Masked : Value;
}

/// <summary>
/// How Berth decides that a replica is ready for traffic: an HTTP GET of <see cref="Path"/> on the
/// replica's port (published on 127.0.0.1) answering 2xx or 3xx.
/// </summary>
public sealed record HealthCheck
{
    public required string Path { get; init; }

    /// <summary>The container port probed; the container's <c>port</c> when not given.</summary>
    public int? Port { get; init; }

    public int IntervalSeconds { get; init; } = 10;
    public int TimeoutSeconds { get; init; } = 2;

    /// <summary>Consecutive successes that make a starting replica healthy.</summary>
    public int HealthyThreshold { get; init; } = 1;

    /// <summary>How long a new replica has to become healthy before the deploy is rolled back.</summary>
    public int StartWindowSeconds { get; init; } = 60;
}

/// <summary>A named volume mounted at <see cref="Path"/> in every replica; it outlives replicas and deploys.</summary>
public sealed record VolumeMount(string Name, string Path);

/// <summary>
/// Everything a deploy rolls out: the configuration of a workload, without its identity or state. A
/// deployment snapshots one of these whole, env included.
/// </summary>
public sealed record ContainerConfig
{
    public required string Image { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public IReadOnlyList<EnvVar> Env { get; init; } = [];
    public int? Port { get; init; }
    public int Replicas { get; init; } = 1;
    public double CpuCores { get; init; } = 1;
    public int MemoryMb { get; init; } = 512;
    public int DiskGb { get; init; } = 18;
    public HealthCheck? HealthCheck { get; init; }
    public IReadOnlyList<string> Domains { get; init; } = [];
    public IReadOnlyList<VolumeMount> Volumes { get; init; } = [];

    /// <summary>Value equality, lists included (a record compares lists by reference).</summary>
    public bool SameAs(ContainerConfig other) =>
        Image == other.Image
        && (Command ?? []).SequenceEqual(other.Command ?? [])
        && Env.SequenceEqual(other.Env)
        && Port == other.Port
        && Replicas == other.Replicas
        && CpuCores.Equals(other.CpuCores)
        && MemoryMb == other.MemoryMb
        && DiskGb == other.DiskGb
        && HealthCheck == other.HealthCheck
        && Domains.SequenceEqual(other.Domains)
        && Volumes.SequenceEqual(other.Volumes);
}

/// <summary>
/// The stored record of a workload: what its replicas run (configuration), what was asked but not yet
/// deployed (<see cref="Pending"/>), and what Berth last confirmed (state). Immutable; every change
/// produces a new snapshot with <see cref="Version"/> + 1, which is also the record's ETag.
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
    public HealthCheck? HealthCheck { get; init; }
    public IReadOnlyList<string> Domains { get; init; } = [];
    public IReadOnlyList<VolumeMount> Volumes { get; init; } = [];
    public required ContainerState State { get; init; }
    public string? StateReason { get; init; }

    /// <summary>The operation whose intent is recorded but not yet confirmed; survives a crash of the server.</summary>
    public ContainerOperation? PendingOperation { get; init; }

    /// <summary>Configuration changed by PATCH and not yet rolled out to the replicas; the next deploy applies it.</summary>
    public ContainerConfig? Pending { get; init; }

    public bool HasPendingChanges => Pending is not null;

    /// <summary>
    /// The last replica generation used. Each set of replicas a deploy starts gets a new one, so that
    /// new and old replicas of the same index can run side by side.
    /// </summary>
    public int ReplicaGeneration { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? ObservedAt { get; init; }
    public DateTimeOffset? LastDeployedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public long Version { get; init; } = 1;

    public string ETag => $"\"{Version}\"";

    /// <summary>What the replicas run now.</summary>
    public ContainerConfig Config => new()
    {
        Image = Image,
        Command = Command,
        Env = Env,
        Port = Port,
        Replicas = Replicas,
        CpuCores = CpuCores,
        MemoryMb = MemoryMb,
        DiskGb = DiskGb,
        HealthCheck = HealthCheck,
        Domains = Domains,
        Volumes = Volumes,
    };

    /// <summary>What the next deploy rolls out: the pending change, or the configuration as it is.</summary>
    public ContainerConfig DesiredConfig => Pending ?? Config;

    /// <summary>This record running <paramref name="config"/>.</summary>
    public Container WithConfig(ContainerConfig config) => this with
    {
        Image = config.Image,
        Command = config.Command,
        Env = config.Env,
        Port = config.Port,
        Replicas = config.Replicas,
        CpuCores = config.CpuCores,
        MemoryMb = config.MemoryMb,
        DiskGb = config.DiskGb,
        HealthCheck = config.HealthCheck,
        Domains = config.Domains,
        Volumes = config.Volumes,
    };
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
