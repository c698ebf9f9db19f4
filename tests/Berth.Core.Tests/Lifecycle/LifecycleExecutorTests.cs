using Berth.Core.Containers;
using Berth.Core.Engine;
using Berth.Core.Errors;
using Berth.Core.Persistence;
using Berth.Core.Tests.Fakes;

namespace Berth.Core.Tests.Lifecycle;

public sealed class LifecycleExecutorTests : IAsyncLifetime
{
    private readonly CoreHarness _h = new();

    private string Actor => _h.User.Actor;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _h.DisposeAsync().AsTask();

    private Task<Container> OperateAsync(Container container, ContainerOperation operation, long? expectedVersion = null,
        CancellationToken cancellationToken = default) =>
        _h.Executor.OperateAsync(container.Id, operation, Actor, null, expectedVersion, cancellationToken);

    private StatusTransition SingleTransition(Guid id) => Assert.Single(_h.Store.TransitionsOf(id));

    [Theory]
    [InlineData(ContainerState.Stopped, ContainerOperation.Start, ContainerState.Running, "Start")]
    [InlineData(ContainerState.Failed, ContainerOperation.Start, ContainerState.Running, "Start")]
    [InlineData(ContainerState.Running, ContainerOperation.Stop, ContainerState.Stopped, "Stop")]
    [InlineData(ContainerState.Paused, ContainerOperation.Stop, ContainerState.Stopped, "Stop")]
    [InlineData(ContainerState.Running, ContainerOperation.ForceStop, ContainerState.Stopped, "Kill")]
    [InlineData(ContainerState.Running, ContainerOperation.Restart, ContainerState.Running, "Start")]
    [InlineData(ContainerState.Failed, ContainerOperation.Restart, ContainerState.Running, "Start")]
    [InlineData(ContainerState.Running, ContainerOperation.Pause, ContainerState.Paused, "Pause")]
    [InlineData(ContainerState.Paused, ContainerOperation.Resume, ContainerState.Running, "Unpause")]
    public async Task OperateAsync_AllowedOperation_WritesConfirmedStateAndOneTransition(
        ContainerState from, ContainerOperation operation, ContainerState expected, string engineMethod)
    {
        var container = _h.Seed(from, replicas: 2);

        var result = await OperateAsync(container, operation).Within();

        Assert.Equal(expected, result.State);
        Assert.Null(result.PendingOperation);
        Assert.Null(result.StateReason);
        Assert.Equal(_h.Time.GetUtcNow(), result.ObservedAt);
        Assert.Equal(container.Version + 2, result.Version);
        Assert.Equal(result, _h.Store.Get(container.Id));
        Assert.Equal(1, _h.Engine.CountCalls(engineMethod, container.Id));
        var transition = SingleTransition(container.Id);
        Assert.Equal(from, transition.FromStatus);
        Assert.Equal(expected, transition.ToStatus);
        Assert.Equal(operation.ToWire(), transition.Operation);
        Assert.Equal(Actor, transition.Actor);
        Assert.Null(transition.Reason);
        Assert.Equal(_h.Time.GetUtcNow(), transition.TransitionTime);
    }

    [Fact]
    public async Task OperateAsync_Restart_StopsThenStarts()
    {
        var container = _h.Seed(ContainerState.Running);

        await OperateAsync(container, ContainerOperation.Restart).Within();

        var calls = _h.Engine.Calls.Where(c => c.ContainerId == container.Id).Select(c => c.Method).ToList();
        Assert.Equal(["Stop", "Start"], calls);
    }

    [Fact]
    public async Task OperateAsync_ForceStopProvisioning_Stopped()
    {
        var container = _h.Seed(ContainerState.Provisioning, withReplicas: false);
        _h.Engine.Seed(container.Id, ReplicaState.Running);

        var result = await OperateAsync(container, ContainerOperation.ForceStop).Within();

        Assert.Equal(ContainerState.Stopped, result.State);
        Assert.Equal(137, Assert.Single(_h.Engine.Snapshot(container.Id).Replicas).ExitCode);
    }

    [Fact]
    public async Task OperateAsync_StartWithReplicasGoneFromEngine_RecreatesAndRuns()
    {
        var container = _h.Seed(ContainerState.Stopped, replicas: 2, withReplicas: false);

        var result = await OperateAsync(container, ContainerOperation.Start).Within();

        Assert.Equal(ContainerState.Running, result.State);
        Assert.Equal(1, _h.Engine.CountCalls("Apply", container.Id));
        Assert.True(_h.Engine.Snapshot(container.Id).AllIn(ReplicaState.Running));
        Assert.Equal(2, _h.Engine.Snapshot(container.Id).Replicas.Count);
    }

    [Fact]
    public async Task OperateAsync_EngineLags_ConfirmsOnEventWithoutAdvancingClock()
    {
        var container = _h.Seed(ContainerState.Running);
        _h.Engine.DeferStateChanges = true;
        var start = _h.Time.GetUtcNow();

        var operation = OperateAsync(container, ContainerOperation.Pause);
        await _h.Engine.WaitForCallAsync("Pause", container.Id).Within();
        Assert.False(operation.IsCompleted);
        Assert.Equal(ContainerOperation.Pause, _h.Store.Get(container.Id)!.PendingOperation);
        _h.Engine.CompleteDeferred(container.Id);
        var result = await operation.Within();

        Assert.Equal(ContainerState.Paused, result.State);
        Assert.Equal(start, _h.Time.GetUtcNow());
        Assert.Equal(ContainerState.Paused, SingleTransition(container.Id).ToStatus);
    }

    [Fact]
    public async Task OperateAsync_EngineLagsAndEventLost_ConfirmsAtNextPoll()
    {
        var container = _h.Seed(ContainerState.Running);
        _h.Engine.DeferStateChanges = true;

        var operation = OperateAsync(container, ContainerOperation.Stop);
        await _h.Engine.WaitForCallAsync("Stop", container.Id).Within();
        _h.Engine.CompleteDeferred(container.Id, emitEvent: false);
        await _h.Time.WaitForTimersAsync(1).Within();
        Assert.False(operation.IsCompleted);
        _h.Time.Advance(_h.Options.ConfirmPollInterval);
        var result = await operation.Within();

        Assert.Equal(ContainerState.Stopped, result.State);
        Assert.Equal(ContainerOperation.Stop.ToWire(), SingleTransition(container.Id).Operation);
    }

    [Fact]
    public async Task OperateAsync_NotConfirmedWithinConfirmTimeout_FailedWithReason()
    {
        var container = _h.Seed(ContainerState.Running);
        _h.Engine.DeferStateChanges = true;

        var operation = OperateAsync(container, ContainerOperation.Pause);
        await _h.Time.WaitForTimersAsync(1).Within();
        _h.Time.Advance(_h.Options.ConfirmTimeout + TimeSpan.FromSeconds(1));
        var result = await operation.Within();

        Assert.Equal(ContainerState.Failed, result.State);
        Assert.Equal("The engine did not confirm 'paused' within 60 s; it shows #0 Running", result.StateReason);
        Assert.Null(result.PendingOperation);
        var transition = SingleTransition(container.Id);
        Assert.Equal(ContainerState.Failed, transition.ToStatus);
        Assert.Equal("pause", transition.Operation);
        Assert.Equal(Actor, transition.Actor);
        Assert.Equal(result.StateReason, transition.Reason);
    }

    [Fact]
    public async Task OperateAsync_StartedReplicaExits_FailedWithExitReason()
    {
        var container = _h.Seed(ContainerState.Stopped);
        _h.Engine.StartExitCode = 1;

        var result = await OperateAsync(container, ContainerOperation.Start).Within();

        Assert.Equal(ContainerState.Failed, result.State);
        Assert.Equal("Replica 0 exited with code 1", result.StateReason);
        var transition = SingleTransition(container.Id);
        Assert.Equal((ContainerState.Stopped, ContainerState.Failed, "start"), (transition.FromStatus!.Value, transition.ToStatus, transition.Operation));
        Assert.Equal("Replica 0 exited with code 1", transition.Reason);
    }

    [Fact]
    public async Task OperateAsync_EngineUnavailable_ExternalServiceErrorAndRecordUnchanged()
    {
        var container = _h.Seed(ContainerState.Stopped);
        _h.Engine.Unavailable = true;

        var ex = await Assert.ThrowsAsync<BerthException>(() => OperateAsync(container, ContainerOperation.Start)).Within();

        Assert.Equal(BerthError.ExternalServiceError, ex.Error);
        Assert.Equal(503, ex.Error.Status);
        var after = _h.Store.Get(container.Id)!;
        Assert.Null(after.PendingOperation);
        Assert.True(after.Version > container.Version);
        Assert.Equal(container, after with { Version = container.Version });
        Assert.Empty(_h.Store.TransitionsOf(container.Id));
    }

    [Fact]
    public async Task OperateAsync_StaleIfMatch_PreconditionFailedWithoutTouchingEngine()
    {
        var container = _h.Seed(ContainerState.Running);

        var ex = await Assert.ThrowsAsync<BerthException>(
            () => OperateAsync(container, ContainerOperation.Stop, expectedVersion: container.Version - 1)).Within();

        Assert.Equal(BerthError.PreconditionFailed, ex.Error);
        Assert.Equal(container.ETag, ex.Details!["etag"]);
        Assert.Equal(container, _h.Store.Get(container.Id));
        Assert.DoesNotContain(_h.Engine.Calls, c => c.ContainerId == container.Id);
    }

    [Fact]
    public async Task OperateAsync_CurrentIfMatch_Proceeds()
    {
        var container = _h.Seed(ContainerState.Running);

        var result = await OperateAsync(container, ContainerOperation.Stop, expectedVersion: container.Version).Within();

        Assert.Equal(ContainerState.Stopped, result.State);
    }

    [Fact]
    public async Task OperateAsync_NotAllowedInState_ConflictWithoutTouchingEngine()
    {
        var container = _h.Seed(ContainerState.Running);

        var ex = await Assert.ThrowsAsync<BerthException>(() => OperateAsync(container, ContainerOperation.Start)).Within();

        Assert.Equal(BerthError.OperationStateConflict, ex.Error);
        Assert.Equal("Container is already running", ex.Message);
        Assert.Equal(container, _h.Store.Get(container.Id));
        Assert.DoesNotContain(_h.Engine.Calls, c => c.ContainerId == container.Id);
    }

    [Fact]
    public async Task OperateAsync_Expired_NotPermitted()
    {
        var container = _h.Seed(ContainerState.Expired);

        var ex = await Assert.ThrowsAsync<BerthException>(() => OperateAsync(container, ContainerOperation.Start)).Within();

        Assert.Equal(BerthError.OperationNotPermittedOnExpired, ex.Error);
    }

    [Fact]
    public async Task OperateAsync_UnknownContainer_ContainerNotFound()
    {
        var ex = await Assert.ThrowsAsync<BerthException>(
            () => _h.Executor.OperateAsync(Guid.NewGuid(), ContainerOperation.Start, Actor, null, null, CancellationToken.None)).Within();

        Assert.Equal(BerthError.ContainerNotFound, ex.Error);
    }

    [Theory]
    [InlineData(ContainerOperation.Deploy)]
    [InlineData(ContainerOperation.Create)]
    public async Task OperateAsync_NotALifecycleOperation_RefusedWithoutRecordingIntent(ContainerOperation operation)
    {
        var container = _h.Seed(ContainerState.Running);

        await Assert.ThrowsAnyAsync<Exception>(() => OperateAsync(container, operation)).Within();

        Assert.Equal(container, _h.Store.Get(container.Id));
        Assert.DoesNotContain(_h.Engine.Calls, c => c.ContainerId == container.Id);
    }

    [Fact]
    public async Task OperateAsync_TwoOperationsOnOneContainer_SecondSeesFirstsResult()
    {
        var container = _h.Seed(ContainerState.Running);
        _h.Engine.DeferStateChanges = true;

        var first = OperateAsync(container, ContainerOperation.Pause);
        await _h.Engine.WaitForCallAsync("Pause", container.Id).Within();
        var second = OperateAsync(container, ContainerOperation.Pause);
        Assert.False(second.IsCompleted);
        _h.Engine.CompleteDeferred(container.Id);

        Assert.Equal(ContainerState.Paused, (await first.Within()).State);
        var ex = await Assert.ThrowsAsync<BerthException>(() => second).Within();
        Assert.Equal(BerthError.OperationStateConflict, ex.Error);
        Assert.Equal("Container is already paused", ex.Message);
        Assert.Equal(1, _h.Engine.CountCalls("Pause", container.Id));
        Assert.Single(_h.Store.TransitionsOf(container.Id));
    }

    [Fact]
    public async Task OperateAsync_TwoContainers_RunInParallel()
    {
        var slow = _h.Seed(ContainerState.Running);
        var quick = _h.Seed(ContainerState.Running);
        _h.Engine.DeferStateChanges = true;

        var slowOperation = OperateAsync(slow, ContainerOperation.Pause);
        await _h.Engine.WaitForCallAsync("Pause", slow.Id).Within();
        _h.Engine.DeferStateChanges = false;
        var quickResult = await OperateAsync(quick, ContainerOperation.Pause).Within();

        Assert.Equal(ContainerState.Paused, quickResult.State);
        Assert.False(slowOperation.IsCompleted);
        _h.Engine.CompleteDeferred(slow.Id);
        Assert.Equal(ContainerState.Paused, (await slowOperation.Within()).State);
    }

    [Fact]
    public async Task OperateAsync_CallerCancelsAfterIntentRecorded_OperationStillFinishes()
    {
        var container = _h.Seed(ContainerState.Running);
        _h.Engine.DeferStateChanges = true;
        using var caller = new CancellationTokenSource();

        var operation = OperateAsync(container, ContainerOperation.Pause, cancellationToken: caller.Token);
        await _h.Engine.WaitForCallAsync("Pause", container.Id).Within();
        await caller.CancelAsync();
        _h.Engine.CompleteDeferred(container.Id);

        Assert.Equal(ContainerState.Paused, (await operation.Within()).State);
        Assert.Equal(ContainerState.Paused, _h.Store.Get(container.Id)!.State);
    }

    [Fact]
    public async Task OperateAsync_Remove_DeletesRecordAndReplicasKeepsTransitions()
    {
        var container = _h.Seed(ContainerState.Running, replicas: 2);

        var result = await OperateAsync(container, ContainerOperation.Remove).Within();

        Assert.Equal(ContainerState.Deleting, result.State);
        Assert.Null(_h.Store.Get(container.Id));
        Assert.True(_h.Store.IsDeleted(container.Id));
        Assert.False(_h.Engine.Snapshot(container.Id).Exists);
        var log = await _h.Store.ListTransitionsAsync(container.Id,
            new TransitionQuery(1, 10, TransitionSort.TransitionTime, SortOrder.Ascending), CancellationToken.None).Within();
        Assert.Equal(2, log.Total);
        Assert.Equal((ContainerState?)ContainerState.Running, log.Items[0].FromStatus);
        Assert.Equal(ContainerState.Deleting, log.Items[0].ToStatus);
        Assert.All(log.Items, t => Assert.Equal(("remove", Actor), (t.Operation, t.Actor)));
    }

    [Fact]
    public async Task OperateAsync_RemoveEngineDown_ServiceErrorAndStateKept()
    {
        var container = _h.Seed(ContainerState.Running);
        _h.Engine.Unavailable = true;

        var ex = await Assert.ThrowsAsync<BerthException>(() => OperateAsync(container, ContainerOperation.Remove)).Within();

        Assert.Equal(BerthError.ExternalServiceError, ex.Error);
        Assert.Equal(container, _h.Store.Get(container.Id));
    }

    [Fact]
    public async Task OperateAsync_RemoveFailsInEngine_LeavesDeletingAndReports503()
    {
        var container = _h.Seed(ContainerState.Running);
        _h.Engine.FailingMethods.Add("Remove");

        var ex = await Assert.ThrowsAsync<BerthException>(() => OperateAsync(container, ContainerOperation.Remove)).Within();

        Assert.Equal(BerthError.ExternalServiceError, ex.Error);
        Assert.Contains("marked for deletion", ex.Message, StringComparison.Ordinal);
        var record = _h.Store.Get(container.Id)!;
        Assert.Equal(ContainerState.Deleting, record.State);
        Assert.Equal(ContainerOperation.Remove, record.PendingOperation);
        Assert.True(_h.Engine.Snapshot(container.Id).Exists);
    }

    [Fact]
    public async Task OperateAsync_RemoveDeleting_Conflict()
    {
        var container = _h.Seed(ContainerState.Deleting);

        var ex = await Assert.ThrowsAsync<BerthException>(() => OperateAsync(container, ContainerOperation.Remove)).Within();

        Assert.Equal(BerthError.OperationStateConflict, ex.Error);
    }

    [Fact]
    public async Task BootInBackground_Provisioning_ReachesRunning()
    {
        var container = _h.Seed(ContainerState.Provisioning, ContainerOperation.Create, replicas: 2, withReplicas: false);

        _h.Executor.BootInBackground(container.Id, Actor);
        await _h.Executor.DrainAsync().Within();

        var record = _h.Store.Get(container.Id)!;
        Assert.Equal(ContainerState.Running, record.State);
        Assert.Null(record.PendingOperation);
        Assert.Equal(_h.Time.GetUtcNow(), record.ObservedAt);
        Assert.Equal(2, _h.Engine.SpecOf(container.Id)!.Replicas);
        Assert.True(_h.Engine.Snapshot(container.Id).AllIn(ReplicaState.Running));
        var transition = SingleTransition(container.Id);
        Assert.Equal((ContainerState.Provisioning, ContainerState.Running), (transition.FromStatus!.Value, transition.ToStatus));
        Assert.Equal(("create", Actor), (transition.Operation, transition.Actor));
    }

    [Fact]
    public async Task BootInBackground_EngineUnavailable_FailedBySystem()
    {
        var container = _h.Seed(ContainerState.Provisioning, ContainerOperation.Create, withReplicas: false);
        _h.Engine.Unavailable = true;

        _h.Executor.BootInBackground(container.Id, Actor);
        await _h.Executor.DrainAsync().Within();

        var record = _h.Store.Get(container.Id)!;
        Assert.Equal(ContainerState.Failed, record.State);
        Assert.Contains("Cannot reach the engine", record.StateReason, StringComparison.Ordinal);
        Assert.Equal(Berth.Core.Containers.Actor.System, SingleTransition(container.Id).Actor);
    }

    [Fact]
    public async Task BootInBackground_ReplicaExitsAtStart_FailedWithExitReason()
    {
        var container = _h.Seed(ContainerState.Provisioning, ContainerOperation.Create, withReplicas: false);
        _h.Engine.StartExitCode = 127;

        _h.Executor.BootInBackground(container.Id, Actor);
        await _h.Executor.DrainAsync().Within();

        Assert.Equal("Replica 0 exited with code 127", _h.Store.Get(container.Id)!.StateReason);
    }

    [Fact]
    public async Task BootInBackground_NotProvisioning_DoesNothing()
    {
        var container = _h.Seed(ContainerState.Stopped);

        _h.Executor.BootInBackground(container.Id, Actor);
        await _h.Executor.DrainAsync().Within();

        Assert.Equal(container, _h.Store.Get(container.Id));
        Assert.DoesNotContain(_h.Engine.Calls, c => c.ContainerId == container.Id);
    }
}
