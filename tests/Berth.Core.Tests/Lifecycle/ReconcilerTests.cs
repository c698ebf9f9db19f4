using Berth.Core.Containers;
using Berth.Core.Engine;
using Berth.Core.Tests.Fakes;

namespace Berth.Core.Tests.Lifecycle;

public sealed class ReconcilerTests : IAsyncLifetime
{
    private readonly CoreHarness _h = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _h.DisposeAsync().AsTask();

    private Task ResyncAsync() => _h.Reconciler.ResyncAsync(CancellationToken.None).Within();

    [Fact]
    public async Task ResyncAsync_ContainerKilledInEngine_FailedBySystem()
    {
        var container = _h.Seed(ContainerState.Running);
        _h.Engine.KillOutside(container.Id, exitCode: 137);

        await ResyncAsync();

        var record = _h.Store.Get(container.Id)!;
        Assert.Equal(ContainerState.Failed, record.State);
        Assert.Equal("Replica 0 was killed (exit code 137)", record.StateReason);
        Assert.Equal(_h.Time.GetUtcNow(), record.ObservedAt);
        var transition = Assert.Single(_h.Store.TransitionsOf(container.Id));
        Assert.Equal(Actor.System, transition.Actor);
        Assert.Equal("reconcile", transition.Operation);
        Assert.Equal((ContainerState.Running, ContainerState.Failed), (transition.FromStatus!.Value, transition.ToStatus));
        Assert.Equal(record.StateReason, transition.Reason);
        Assert.True(_h.Status.IsConnected);
    }

    [Fact]
    public async Task ResyncAsync_RecordsMatchEngine_WritesNothing()
    {
        _h.Seed(ContainerState.Running, replicas: 2);
        _h.Seed(ContainerState.Paused);
        _h.Seed(ContainerState.Stopped);
        _h.Seed(ContainerState.Failed);

        await ResyncAsync();

        Assert.Equal(0, _h.Store.UpdateCount);
        Assert.DoesNotContain(_h.Engine.Calls, c => c.Method == "Remove");
    }

    [Fact]
    public async Task ResyncAsync_PendingCreateWithoutReplicas_BootedToRunning()
    {
        var container = _h.Seed(ContainerState.Provisioning, ContainerOperation.Create, withReplicas: false);

        await ResyncAsync();
        await _h.Executor.DrainAsync().Within();

        var record = _h.Store.Get(container.Id)!;
        Assert.Equal(ContainerState.Running, record.State);
        Assert.Null(record.PendingOperation);
        Assert.True(_h.Engine.Snapshot(container.Id).AllIn(ReplicaState.Running));
        var transition = Assert.Single(_h.Store.TransitionsOf(container.Id));
        Assert.Equal(("create", Actor.System), (transition.Operation, transition.Actor));
    }

    [Fact]
    public async Task ResyncAsync_PendingCreateWithCreatedReplicas_BootedToRunning()
    {
        var container = _h.Seed(ContainerState.Provisioning, ContainerOperation.Create, replicas: 2);

        await ResyncAsync();
        await _h.Executor.DrainAsync().Within();

        Assert.Equal(ContainerState.Running, _h.Store.Get(container.Id)!.State);
        Assert.Equal(2, _h.Engine.Snapshot(container.Id).Replicas.Count);
    }

    [Fact]
    public async Task ResyncAsync_PendingStopReplicasExited_Stopped()
    {
        var container = _h.Seed(ContainerState.Running, ContainerOperation.Stop, withReplicas: false);
        _h.Engine.Seed(container.Id, (ReplicaState.Exited, 143));

        await ResyncAsync();

        var record = _h.Store.Get(container.Id)!;
        Assert.Equal(ContainerState.Stopped, record.State);
        Assert.Null(record.PendingOperation);
        Assert.Equal(Actor.System, Assert.Single(_h.Store.TransitionsOf(container.Id)).Actor);
    }

    [Fact]
    public async Task ResyncAsync_PendingStopReplicasRunning_RunningBerthRestartedDuringStop()
    {
        var container = _h.Seed(ContainerState.Running, ContainerOperation.Stop);

        await ResyncAsync();

        var record = _h.Store.Get(container.Id)!;
        Assert.Equal(ContainerState.Running, record.State);
        Assert.Null(record.PendingOperation);
        Assert.StartsWith("Berth restarted during stop", record.StateReason, StringComparison.Ordinal);
        Assert.Equal(record.StateReason, Assert.Single(_h.Store.TransitionsOf(container.Id)).Reason);
    }

    [Fact]
    public async Task ResyncAsync_Deleting_ReplicasAndRecordRemoved()
    {
        var container = _h.Seed(ContainerState.Deleting, ContainerOperation.Remove, withReplicas: false);
        _h.Engine.Seed(container.Id, ReplicaState.Running, ReplicaState.Exited);

        await ResyncAsync();
        await _h.Executor.DrainAsync().Within();

        Assert.Null(_h.Store.Get(container.Id));
        Assert.True(_h.Store.IsDeleted(container.Id));
        Assert.False(_h.Engine.Snapshot(container.Id).Exists);
        Assert.Equal(Actor.System, Assert.Single(_h.Store.TransitionsOf(container.Id)).Actor);
    }

    [Fact]
    public async Task ResyncAsync_RemoveFailedEarlierAndEngineBack_FinishesRemoval()
    {
        var container = _h.Seed(ContainerState.Running);
        _h.Engine.FailingMethods.Add("Remove");
        await Assert.ThrowsAsync<Errors.BerthException>(() => _h.Executor.OperateAsync(
            container.Id, ContainerOperation.Remove, _h.User.Actor, null, null, CancellationToken.None)).Within();
        _h.Engine.FailingMethods.Clear();

        await ResyncAsync();
        await _h.Executor.DrainAsync().Within();

        Assert.True(_h.Store.IsDeleted(container.Id));
        Assert.False(_h.Engine.Snapshot(container.Id).Exists);
    }

    [Fact]
    public async Task ResyncAsync_ReplicasWithoutRecord_RemovedFromEngine()
    {
        var owned = _h.Seed(ContainerState.Running);
        var orphan = Guid.NewGuid();
        _h.Engine.Seed(orphan, ReplicaState.Running, ReplicaState.Running);

        await ResyncAsync();

        Assert.False(_h.Engine.Snapshot(orphan).Exists);
        Assert.Equal(1, _h.Engine.CountCalls("Remove", orphan));
        Assert.True(_h.Engine.Snapshot(owned.Id).Exists);
        Assert.Equal(0, _h.Engine.CountCalls("Remove", owned.Id));
    }

    [Fact]
    public async Task ResyncAsync_ReplicasOfDeletedRecord_RemovedAsOrphans()
    {
        var container = _h.Seed(ContainerState.Stopped);
        await _h.Store.DeleteAsync(container.Id,
            Berth.Core.Lifecycle.Transitions.Create(container.Id, ContainerState.Stopped, ContainerState.Deleting, "remove", "x", null, _h.Time),
            CancellationToken.None).Within();

        await ResyncAsync();

        Assert.False(_h.Engine.Snapshot(container.Id).Exists);
    }

    [Fact]
    public async Task ResyncAsync_ContainerHeldByOperation_Skipped()
    {
        var container = _h.Seed(ContainerState.Running);
        _h.Engine.KillOutside(container.Id);

        using (await _h.Locks.AcquireAsync(container.Id, CancellationToken.None).Within())
        {
            await ResyncAsync();
            Assert.Equal(container, _h.Store.Get(container.Id));
        }

        await ResyncAsync();
        Assert.Equal(ContainerState.Failed, _h.Store.Get(container.Id)!.State);
    }

    [Fact]
    public async Task ResyncAsync_OrphanHeldByBoot_NotRemoved()
    {
        var id = Guid.NewGuid();
        _h.Engine.Seed(id, ReplicaState.Created);

        using (await _h.Locks.AcquireAsync(id, CancellationToken.None).Within())
        {
            await ResyncAsync();
        }

        Assert.True(_h.Engine.Snapshot(id).Exists);
    }

    [Fact]
    public async Task ResyncAsync_EngineUnavailable_ThrowsAndChangesNothing()
    {
        var container = _h.Seed(ContainerState.Running);
        _h.Engine.Unavailable = true;

        await Assert.ThrowsAsync<EngineUnavailableException>(ResyncAsync);

        Assert.Equal(container, _h.Store.Get(container.Id));
    }
}

public sealed class ReconcilerRunTests : IAsyncLifetime
{
    // The reconciler consumes the engine's events itself here, so the harness must not.
    private readonly CoreHarness _h = new(pumpEvents: false);
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;

    public Task InitializeAsync()
    {
        _run = _h.Reconciler.RunAsync(_stop.Token);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run.Within();
        await _h.DisposeAsync();
        _stop.Dispose();
    }

    [Fact]
    public async Task RunAsync_KillEvent_RecordFailedWithoutWaitingForResync()
    {
        // Seed once the first resync is over, so that it cannot see the record before its replicas.
        await _h.Time.WaitForTimersAsync(1).Within();
        await _h.Engine.WaitForCallAsync("Watch", Guid.Empty).Within();
        var container = _h.Seed(ContainerState.Running);

        _h.Engine.KillOutside(container.Id);
        await _h.Store.WaitForAsync(s => s.Get(container.Id)?.State == ContainerState.Failed).Within();

        var transition = Assert.Single(_h.Store.TransitionsOf(container.Id));
        Assert.Equal(Actor.System, transition.Actor);
    }

    [Fact]
    public async Task RunAsync_ChangeWithoutEvent_RepairedByPeriodicResync()
    {
        // The first resync has run and its loop waits on the clock once a timer exists.
        await _h.Time.WaitForTimersAsync(1).Within();
        var container = _h.Seed(ContainerState.Running);
        _h.Engine.SetReplica(container.Id, 0, ReplicaState.Exited, exitCode: 0, action: null);

        _h.Time.Advance(_h.Options.ResyncInterval);
        await _h.Store.WaitForAsync(s => s.Get(container.Id)?.State == ContainerState.Stopped).Within();

        Assert.True(_h.Status.IsConnected);
    }

    [Fact]
    public async Task RunAsync_Cancelled_EndsCleanly()
    {
        await _stop.CancelAsync();

        await _run.Within();
    }
}
