using Berth.Core.Containers;
using Berth.Core.Engine;
using Berth.Core.Lifecycle;

namespace Berth.Core.Tests.Lifecycle;

public sealed class VerdictsTests
{
    private static readonly Guid s_id = Guid.NewGuid();

    internal static WorkloadObservation Observed(params ReplicaObservation[] replicas) => new(s_id, replicas);

    internal static ReplicaObservation R(int index, ReplicaState state, int? exitCode = null, bool oom = false) =>
        new($"e{index}", index, state, exitCode, oom);

    [Fact]
    public void Judge_RunningAllReplicasRunning_Confirmed()
    {
        var verdict = Verdicts.Judge(ContainerState.Running, Observed(R(0, ReplicaState.Running), R(1, ReplicaState.Running)), 2);

        Assert.Equal(VerdictKind.Confirmed, verdict.Kind);
    }

    [Fact]
    public void Judge_RunningFewerReplicasThanAsked_Pending()
    {
        Assert.Equal(VerdictKind.Pending, Verdicts.Judge(ContainerState.Running, Observed(R(0, ReplicaState.Running)), 2).Kind);
    }

    [Theory]
    [InlineData(ReplicaState.Created)]
    [InlineData(ReplicaState.Restarting)]
    [InlineData(ReplicaState.Paused)]
    public void Judge_RunningOneReplicaNotYetRunning_Pending(ReplicaState other)
    {
        var verdict = Verdicts.Judge(ContainerState.Running, Observed(R(0, ReplicaState.Running), R(1, other)), 2);

        Assert.Equal(VerdictKind.Pending, verdict.Kind);
    }

    [Fact]
    public void Judge_RunningNoReplicas_Pending()
    {
        Assert.Equal(VerdictKind.Pending, Verdicts.Judge(ContainerState.Running, WorkloadObservation.Missing(s_id), 1).Kind);
    }

    [Fact]
    public void Judge_RunningReplicaKilled_FailedWithExit137()
    {
        var verdict = Verdicts.Judge(ContainerState.Running, Observed(R(0, ReplicaState.Running), R(1, ReplicaState.Exited, 137)), 2);

        Assert.Equal(VerdictKind.Failed, verdict.Kind);
        Assert.Equal("Replica 1 was killed (exit code 137)", verdict.Reason);
    }

    [Fact]
    public void Judge_RunningReplicaExitedWithCode_FailedWithCode()
    {
        var verdict = Verdicts.Judge(ContainerState.Running, Observed(R(0, ReplicaState.Exited, 3)), 1);

        Assert.Equal(Verdict.Failed("Replica 0 exited with code 3"), verdict);
    }

    [Fact]
    public void Judge_RunningReplicaOomKilled_FailedOutOfMemory()
    {
        var verdict = Verdicts.Judge(ContainerState.Running, Observed(R(0, ReplicaState.Exited, 137, oom: true)), 1);

        Assert.Equal("Replica 0 was killed for running out of memory", verdict.Reason);
    }

    [Fact]
    public void Judge_RunningReplicaDead_FailedDead()
    {
        var verdict = Verdicts.Judge(ContainerState.Running, Observed(R(0, ReplicaState.Dead)), 1);

        Assert.Equal("Replica 0 is dead in the engine", verdict.Reason);
    }

    [Fact]
    public void Judge_RunningReplicaExitedWithoutCode_FailedExited()
    {
        Assert.Equal("Replica 0 exited", Verdicts.Judge(ContainerState.Running, Observed(R(0, ReplicaState.Exited)), 1).Reason);
    }

    [Fact]
    public void Judge_PausedAllPaused_Confirmed()
    {
        Assert.Equal(VerdictKind.Confirmed, Verdicts.Judge(ContainerState.Paused, Observed(R(0, ReplicaState.Paused)), 1).Kind);
    }

    [Fact]
    public void Judge_PausedStillRunning_Pending()
    {
        var verdict = Verdicts.Judge(ContainerState.Paused, Observed(R(0, ReplicaState.Paused), R(1, ReplicaState.Running)), 2);

        Assert.Equal(VerdictKind.Pending, verdict.Kind);
    }

    [Fact]
    public void Judge_PausedReplicaExited_Failed()
    {
        var verdict = Verdicts.Judge(ContainerState.Paused, Observed(R(0, ReplicaState.Exited, 1)), 1);

        Assert.Equal(Verdict.Failed("Replica 0 exited with code 1"), verdict);
    }

    [Theory]
    [InlineData(ReplicaState.Exited)]
    [InlineData(ReplicaState.Created)]
    [InlineData(ReplicaState.Dead)]
    public void Judge_StoppedReplicasNotRunning_Confirmed(ReplicaState state)
    {
        Assert.Equal(VerdictKind.Confirmed, Verdicts.Judge(ContainerState.Stopped, Observed(R(0, state, 0)), 1).Kind);
    }

    [Fact]
    public void Judge_StoppedNoReplicas_Confirmed()
    {
        Assert.Equal(VerdictKind.Confirmed, Verdicts.Judge(ContainerState.Stopped, WorkloadObservation.Missing(s_id), 1).Kind);
    }

    [Theory]
    [InlineData(ReplicaState.Running)]
    [InlineData(ReplicaState.Paused)]
    [InlineData(ReplicaState.Restarting)]
    public void Judge_StoppedOneReplicaStillUp_Pending(ReplicaState state)
    {
        var verdict = Verdicts.Judge(ContainerState.Stopped, Observed(R(0, ReplicaState.Exited, 0), R(1, state)), 2);

        Assert.Equal(VerdictKind.Pending, verdict.Kind);
    }

    [Theory]
    [InlineData(ContainerState.Provisioning)]
    [InlineData(ContainerState.Deleting)]
    [InlineData(ContainerState.Failed)]
    public void Judge_StateTheEngineDoesNotConfirm_Throws(ContainerState target)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Verdicts.Judge(target, Observed(R(0, ReplicaState.Running)), 1));
    }

    [Fact]
    public void ExitedReplica_NoneExited_Null()
    {
        Assert.Null(Verdicts.ExitedReplica(Observed(R(0, ReplicaState.Running), R(1, ReplicaState.Paused))));
    }

    [Fact]
    public void WorkloadObservation_ToString_DescribesReplicas()
    {
        Assert.Equal("#0 Running, #1 Exited (137)", Observed(R(0, ReplicaState.Running), R(1, ReplicaState.Exited, 137)).ToString());
        Assert.Equal("no replicas", WorkloadObservation.Missing(s_id).ToString());
    }
}
