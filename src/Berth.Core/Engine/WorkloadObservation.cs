namespace Berth.Core.Engine;

/// <summary>The engine's state of one replica, in Berth's words rather than Docker's.</summary>
public enum ReplicaState
{
    Created,
    Running,
    Paused,
    Restarting,
    Exited,
    Dead,
}

public sealed record ReplicaObservation(
    string EngineId,
    int Index,
    ReplicaState State,
    int? ExitCode = null,
    bool OomKilled = false,
    int? HostPort = null,
    int Generation = 0);

/// <summary>What the engine reports for every replica of one container at one moment.</summary>
public sealed record WorkloadObservation(Guid ContainerId, IReadOnlyList<ReplicaObservation> Replicas)
{
    public static WorkloadObservation Missing(Guid containerId) => new(containerId, []);

    public bool Exists => Replicas.Count > 0;

    public bool AllIn(ReplicaState state) => Exists && Replicas.All(r => r.State == state);

    public bool AnyIn(ReplicaState state) => Replicas.Any(r => r.State == state);

    public override string ToString() =>
        Exists ? string.Join(", ", Replicas.Select(r => $"#{r.Index} {r.State}{(r.ExitCode is { } c ? $" ({c})" : "")}")) : "no replicas";
}

/// <summary>Something changed for a container's replicas; observe it to learn what.</summary>
public sealed record EngineEvent(Guid ContainerId, string Action);
