using Berth.Core.Containers;
using Berth.Core.Engine;

namespace Berth.Core.Lifecycle;

public enum VerdictKind
{
    Confirmed,
    Pending,
    Failed,
}

/// <summary>What an observation says about a state an operation is waiting for.</summary>
public readonly record struct Verdict(VerdictKind Kind, string? Reason = null)
{
    public static Verdict Confirmed => new(VerdictKind.Confirmed);

    public static Verdict Pending => new(VerdictKind.Pending);

    public static Verdict Failed(string reason) => new(VerdictKind.Failed, reason);
}

/// <summary>Pure rules that turn engine observations into Berth states. No I/O, so they are unit-tested alone.</summary>
public static class Verdicts
{
    /// <summary>Does <paramref name="observed"/> confirm <paramref name="target"/> for a workload of <paramref name="replicas"/> replicas?</summary>
    public static Verdict Judge(ContainerState target, WorkloadObservation observed, int replicas) => target switch
    {
        ContainerState.Running => JudgeRunning(observed, replicas),
        ContainerState.Paused => observed.AllIn(ReplicaState.Paused)
            ? Verdict.Confirmed
            : ExitedReplica(observed) is { } exited ? Verdict.Failed(exited) : Verdict.Pending,
        ContainerState.Stopped => observed.Replicas.All(r => r.State is ReplicaState.Exited or ReplicaState.Created or ReplicaState.Dead)
            ? Verdict.Confirmed
            : Verdict.Pending,
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, "not a state the engine confirms"),
    };

    private static Verdict JudgeRunning(WorkloadObservation observed, int replicas)
    {
        if (observed.Replicas.Count >= replicas && observed.AllIn(ReplicaState.Running))
        {
            return Verdict.Confirmed;
        }
        return ExitedReplica(observed) is { } exited ? Verdict.Failed(exited) : Verdict.Pending;
    }

    /// <summary>A sentence about the first replica that exited or died, or null when none did.</summary>
    public static string? ExitedReplica(WorkloadObservation observed)
    {
        var replica = observed.Replicas.FirstOrDefault(r => r.State is ReplicaState.Exited or ReplicaState.Dead);
        return replica is null ? null : DescribeExit(replica);
    }

    public static string DescribeExit(ReplicaObservation replica) => replica switch
    {
        { OomKilled: true } => $"Replica {replica.Index} was killed for running out of memory",
        { State: ReplicaState.Dead } => $"Replica {replica.Index} is dead in the engine",
        { ExitCode: 137 } => $"Replica {replica.Index} was killed (exit code 137)",
        { ExitCode: { } code } => $"Replica {replica.Index} exited with code {code}",
        _ => $"Replica {replica.Index} exited",
    };
}
