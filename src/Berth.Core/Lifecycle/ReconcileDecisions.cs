using Berth.Core.Containers;
using Berth.Core.Engine;

namespace Berth.Core.Lifecycle;

public enum DecisionKind
{
    /// <summary>The record matches the engine.</summary>
    None,

    /// <summary>Record the state the engine shows, with actor <c>system</c>.</summary>
    Transition,

    /// <summary>A create was cut short: create and start the replicas.</summary>
    Boot,

    /// <summary>A delete was cut short: remove the replicas and the record.</summary>
    FinishRemove,
}

public sealed record Decision(DecisionKind Kind, ContainerState? To = null, string? Reason = null)
{
    public static readonly Decision None = new(DecisionKind.None);

    public static Decision Transition(ContainerState to, string reason) => new(DecisionKind.Transition, to, reason);
}

/// <summary>
/// What the reconciler does with a record that no operation holds, given what the engine shows. The
/// engine is the truth for what runs; the record is the truth for what was asked.
/// </summary>
public static class ReconcileDecisions
{
    public static Decision Decide(Container record, WorkloadObservation observed)
    {
        if (record.PendingOperation is { } pending)
        {
            return Interrupted(record, pending, observed);
        }
        return record.State switch
        {
            ContainerState.Provisioning => new Decision(DecisionKind.Boot),
            ContainerState.Deleting => new Decision(DecisionKind.FinishRemove),
            ContainerState.Running => FromRunning(record, observed),
            ContainerState.Paused => FromPaused(record, observed),
            ContainerState.Stopped => RunningAgain(record, observed, "The container was started outside Berth"),
            ContainerState.Failed => RunningAgain(record, observed, "The engine shows the container running again"),
            _ => Decision.None,
        };
    }

    /// <summary>
    /// An operation whose intent was recorded but that no one is finishing: Berth stopped mid-way. The
    /// record takes the state the engine has settled in, saying which operation was cut short; a
    /// workload that has not settled is <c>failed</c>. (Marking a still-running workload <c>failed</c>
    /// would only flip back to <c>running</c> at the next look, leaving two misleading lines.)
    /// </summary>
    private static Decision Interrupted(Container record, ContainerOperation pending, WorkloadObservation observed)
    {
        switch (pending)
        {
            case ContainerOperation.Create:
                return new Decision(DecisionKind.Boot);
            case ContainerOperation.Remove:
                return new Decision(DecisionKind.FinishRemove);
        }
        var target = ContainerStateMachine.TargetOf(pending);
        if (Verdicts.Judge(target, observed, record.Replicas).Kind == VerdictKind.Confirmed)
        {
            return Decision.Transition(target, $"Confirmed after Berth restarted during {pending.ToWire()}");
        }
        var cutShort = $"Berth restarted during {pending.ToWire()}";
        if (Verdicts.Judge(ContainerState.Running, observed, record.Replicas).Kind == VerdictKind.Confirmed)
        {
            return Decision.Transition(ContainerState.Running, $"{cutShort}; the engine shows it still running");
        }
        if (observed.AllIn(ReplicaState.Paused))
        {
            return Decision.Transition(ContainerState.Paused, $"{cutShort}; the engine shows it paused");
        }
        var settled = Stopped(record, observed);
        return settled.Kind == DecisionKind.Transition
            ? Decision.Transition(settled.To!.Value, $"{cutShort}; {settled.Reason}")
            : Decision.Transition(ContainerState.Failed, $"{cutShort}; the engine shows {observed}");
    }

    private static Decision FromRunning(Container record, WorkloadObservation observed)
    {
        if (Verdicts.Judge(ContainerState.Running, observed, record.Replicas).Kind == VerdictKind.Confirmed)
        {
            return Decision.None;
        }
        if (observed.AllIn(ReplicaState.Paused))
        {
            return Decision.Transition(ContainerState.Paused, "The container was paused outside Berth");
        }
        return Stopped(record, observed);
    }

    private static Decision FromPaused(Container record, WorkloadObservation observed)
    {
        if (observed.AllIn(ReplicaState.Paused))
        {
            return Decision.None;
        }
        if (Verdicts.Judge(ContainerState.Running, observed, record.Replicas).Kind == VerdictKind.Confirmed)
        {
            return Decision.Transition(ContainerState.Running, "The container was resumed outside Berth");
        }
        return Stopped(record, observed);
    }

    /// <summary>A container that should run but does not: a clean exit of every replica is <c>stopped</c>, anything else <c>failed</c>.</summary>
    private static Decision Stopped(Container record, WorkloadObservation observed)
    {
        if (observed.Replicas.Count < record.Replicas)
        {
            var missing = record.Replicas - observed.Replicas.Count;
            return Decision.Transition(ContainerState.Failed,
                missing == record.Replicas
                    ? "The container's replicas are gone from the engine"
                    : $"{missing} of {record.Replicas} replicas are gone from the engine");
        }
        if (ExitedCleanly(observed))
        {
            return Decision.Transition(ContainerState.Stopped, "Every replica exited cleanly (exit code 0)");
        }
        if (Verdicts.ExitedReplica(observed) is { } reason)
        {
            return Decision.Transition(ContainerState.Failed, reason);
        }
        // Starting, restarting or created replicas: not settled yet; the next event or resync looks again.
        return Decision.None;
    }

    private static bool ExitedCleanly(WorkloadObservation observed) =>
        observed.AllIn(ReplicaState.Exited) && observed.Replicas.All(r => r.ExitCode == 0 && !r.OomKilled);

    private static Decision RunningAgain(Container record, WorkloadObservation observed, string reason) =>
        Verdicts.Judge(ContainerState.Running, observed, record.Replicas).Kind == VerdictKind.Confirmed
            ? Decision.Transition(ContainerState.Running, reason)
            : Decision.None;
}
