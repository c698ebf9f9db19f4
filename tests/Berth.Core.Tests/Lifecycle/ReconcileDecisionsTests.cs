using Berth.Core.Containers;
using Berth.Core.Engine;
using Berth.Core.Lifecycle;
using Berth.Core.Tests.Fakes;
using static Berth.Core.Tests.Lifecycle.VerdictsTests;

namespace Berth.Core.Tests.Lifecycle;

public sealed class ReconcileDecisionsTests
{
    private static Container Record(ContainerState state, ContainerOperation? pending = null, int replicas = 1) => new()
    {
        Id = Guid.NewGuid(),
        UserId = Guid.NewGuid(),
        EnvironmentId = "local",
        Hostname = "web",
        Image = "berth/busybox:latest",
        Replicas = replicas,
        State = state,
        PendingOperation = pending,
        CreatedAt = TestTimeProvider.DefaultStart,
        UpdatedAt = TestTimeProvider.DefaultStart,
    };

    private static WorkloadObservation All(ReplicaState state, int count = 1, int? exitCode = null) =>
        Observed(Enumerable.Range(0, count).Select(i => R(i, state, exitCode)).ToArray());

    private static void AssertTransition(Decision decision, ContainerState to, string reasonContains)
    {
        Assert.Equal(DecisionKind.Transition, decision.Kind);
        Assert.Equal(to, decision.To);
        Assert.Contains(reasonContains, decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_RunningConfirmed_None()
    {
        Assert.Equal(Decision.None, ReconcileDecisions.Decide(Record(ContainerState.Running, replicas: 2), All(ReplicaState.Running, 2)));
    }

    [Fact]
    public void Decide_RunningReplicaKilled137_FailedWithReason()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Running), All(ReplicaState.Exited, exitCode: 137));

        AssertTransition(decision, ContainerState.Failed, "Replica 0 was killed (exit code 137)");
    }

    [Fact]
    public void Decide_RunningOneOfTwoCrashed_Failed()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Running, replicas: 2),
            Observed(R(0, ReplicaState.Running), R(1, ReplicaState.Exited, 2)));

        AssertTransition(decision, ContainerState.Failed, "Replica 1 exited with code 2");
    }

    [Fact]
    public void Decide_RunningAllExited0_Stopped()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Running, replicas: 2), All(ReplicaState.Exited, 2, exitCode: 0));

        AssertTransition(decision, ContainerState.Stopped, "exited cleanly");
    }

    [Fact]
    public void Decide_RunningExited0ButOomKilled_Failed()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Running), Observed(R(0, ReplicaState.Exited, 0, oom: true)));

        AssertTransition(decision, ContainerState.Failed, "out of memory");
    }

    [Fact]
    public void Decide_RunningPausedOutside_Paused()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Running), All(ReplicaState.Paused));

        AssertTransition(decision, ContainerState.Paused, "paused outside Berth");
    }

    [Fact]
    public void Decide_RunningReplicaRestarting_NoneUntilSettled()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Running), All(ReplicaState.Restarting));

        Assert.Equal(DecisionKind.None, decision.Kind);
    }

    [Fact]
    public void Decide_RunningAllReplicasMissing_Failed()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Running), WorkloadObservation.Missing(Guid.NewGuid()));

        AssertTransition(decision, ContainerState.Failed, "replicas are gone from the engine");
    }

    [Fact]
    public void Decide_RunningSomeReplicasMissing_FailedCountingThem()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Running, replicas: 3), All(ReplicaState.Running, 2));

        AssertTransition(decision, ContainerState.Failed, "1 of 3 replicas are gone");
    }

    [Fact]
    public void Decide_PausedStillPaused_None()
    {
        Assert.Equal(DecisionKind.None, ReconcileDecisions.Decide(Record(ContainerState.Paused), All(ReplicaState.Paused)).Kind);
    }

    [Fact]
    public void Decide_PausedResumedOutside_Running()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Paused), All(ReplicaState.Running));

        AssertTransition(decision, ContainerState.Running, "resumed outside Berth");
    }

    [Fact]
    public void Decide_PausedKilled_Failed()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Paused), All(ReplicaState.Exited, exitCode: 137));

        AssertTransition(decision, ContainerState.Failed, "exit code 137");
    }

    [Fact]
    public void Decide_StoppedStartedOutside_Running()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Stopped), All(ReplicaState.Running));

        AssertTransition(decision, ContainerState.Running, "started outside Berth");
    }

    [Theory]
    [InlineData(ContainerState.Stopped)]
    [InlineData(ContainerState.Failed)]
    public void Decide_NotRunningAndEngineAgrees_None(ContainerState state)
    {
        Assert.Equal(DecisionKind.None, ReconcileDecisions.Decide(Record(state), All(ReplicaState.Exited, exitCode: 1)).Kind);
        Assert.Equal(DecisionKind.None, ReconcileDecisions.Decide(Record(state), WorkloadObservation.Missing(Guid.NewGuid())).Kind);
    }

    [Fact]
    public void Decide_FailedRunningAgain_Running()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Failed), All(ReplicaState.Running));

        AssertTransition(decision, ContainerState.Running, "running again");
    }

    [Fact]
    public void Decide_FailedOnlySomeReplicasRunning_None()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Failed, replicas: 2), All(ReplicaState.Running));

        Assert.Equal(DecisionKind.None, decision.Kind);
    }

    [Fact]
    public void Decide_ProvisioningWithoutPending_Boot()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Provisioning), WorkloadObservation.Missing(Guid.NewGuid()));

        Assert.Equal(DecisionKind.Boot, decision.Kind);
    }

    [Fact]
    public void Decide_PendingCreate_Boot()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Provisioning, ContainerOperation.Create), All(ReplicaState.Created));

        Assert.Equal(DecisionKind.Boot, decision.Kind);
    }

    [Fact]
    public void Decide_PendingRemove_FinishRemove()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Deleting, ContainerOperation.Remove), All(ReplicaState.Running));

        Assert.Equal(DecisionKind.FinishRemove, decision.Kind);
    }

    [Fact]
    public void Decide_DeletingWithoutPending_FinishRemove()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Deleting), WorkloadObservation.Missing(Guid.NewGuid()));

        Assert.Equal(DecisionKind.FinishRemove, decision.Kind);
    }

    [Fact]
    public void Decide_InterruptedStopConfirmed_StoppedAfterRestart()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Running, ContainerOperation.Stop), All(ReplicaState.Exited, exitCode: 143));

        AssertTransition(decision, ContainerState.Stopped, "Confirmed after Berth restarted during stop");
    }

    [Fact]
    public void Decide_InterruptedStopStillRunning_RunningSayingTheStopWasCutShort()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Running, ContainerOperation.Stop), All(ReplicaState.Running));

        AssertTransition(decision, ContainerState.Running, "Berth restarted during stop; the engine shows it still running");
    }

    [Fact]
    public void Decide_InterruptedResumeKilled_FailedWithTheExit()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Paused, ContainerOperation.Resume), All(ReplicaState.Exited, exitCode: 137));

        AssertTransition(decision, ContainerState.Failed, "Berth restarted during resume; Replica 0 was killed");
    }

    [Fact]
    public void Decide_InterruptedPauseConfirmed_Paused()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Running, ContainerOperation.Pause), All(ReplicaState.Paused));

        AssertTransition(decision, ContainerState.Paused, "during pause");
    }

    [Fact]
    public void Decide_InterruptedStartStillStarting_Failed()
    {
        var decision = ReconcileDecisions.Decide(Record(ContainerState.Stopped, ContainerOperation.Start), All(ReplicaState.Created));

        AssertTransition(decision, ContainerState.Failed, "Berth restarted during start");
    }

    [Fact]
    public void Decide_Expired_None()
    {
        Assert.Equal(DecisionKind.None, ReconcileDecisions.Decide(Record(ContainerState.Expired), All(ReplicaState.Running)).Kind);
    }
}
