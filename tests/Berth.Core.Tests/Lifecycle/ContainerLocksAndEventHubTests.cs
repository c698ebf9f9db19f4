using Berth.Core.Engine;
using Berth.Core.Lifecycle;
using Berth.Core.Tests.Fakes;

namespace Berth.Core.Tests.Lifecycle;

public sealed class ContainerLocksTests
{
    private readonly ContainerLocks _locks = new();

    [Fact]
    public async Task TryAcquire_WhileHeld_NullUntilReleased()
    {
        var id = Guid.NewGuid();
        var held = await _locks.AcquireAsync(id, CancellationToken.None).Within();

        Assert.True(_locks.IsHeld(id));
        Assert.Null(_locks.TryAcquire(id));
        held.Dispose();

        Assert.False(_locks.IsHeld(id));
        using var again = _locks.TryAcquire(id);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task AcquireAsync_OtherContainer_NotBlocked()
    {
        using var first = await _locks.AcquireAsync(Guid.NewGuid(), CancellationToken.None).Within();

        using var second = await _locks.AcquireAsync(Guid.NewGuid(), CancellationToken.None).Within();
    }

    [Fact]
    public async Task AcquireAsync_SecondWaiter_GetsLockWhenFirstReleases()
    {
        var id = Guid.NewGuid();
        var first = await _locks.AcquireAsync(id, CancellationToken.None).Within();

        var second = _locks.AcquireAsync(id, CancellationToken.None);
        Assert.False(second.IsCompleted);
        first.Dispose();

        using var held = await second.Within();
        Assert.True(_locks.IsHeld(id));
    }

    [Fact]
    public async Task AcquireAsync_CancelledWhileWaiting_ThrowsAndLeavesLockUsable()
    {
        var id = Guid.NewGuid();
        var first = await _locks.AcquireAsync(id, CancellationToken.None).Within();
        using var cancel = new CancellationTokenSource();

        var waiting = _locks.AcquireAsync(id, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting).Within();
        first.Dispose();
        first.Dispose();

        using var again = _locks.TryAcquire(id);
        Assert.NotNull(again);
    }
}

public sealed class EngineEventHubTests
{
    private readonly EngineEventHub _hub = new();
    private readonly TestTimeProvider _time = new();

    [Fact]
    public async Task WaitAsync_EventForTheContainer_True()
    {
        var id = Guid.NewGuid();
        using var listener = _hub.Listen(id);

        _hub.Publish(new EngineEvent(id, "die"));

        Assert.True(await listener.WaitAsync(TimeSpan.FromMinutes(1), _time, CancellationToken.None).Within());
    }

    [Fact]
    public async Task WaitAsync_EventForAnotherContainer_FalseWhenFakeClockPassesTimeout()
    {
        using var listener = _hub.Listen(Guid.NewGuid());
        _hub.Publish(new EngineEvent(Guid.NewGuid(), "die"));

        var waiting = listener.WaitAsync(TimeSpan.FromSeconds(1), _time, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(await waiting.Within());
    }

    [Fact]
    public async Task WaitAsync_ManyEventsBeforeWaiting_OneSignalOnly()
    {
        var id = Guid.NewGuid();
        using var listener = _hub.Listen(id);
        _hub.Publish(new EngineEvent(id, "start"));
        _hub.Publish(new EngineEvent(id, "die"));

        Assert.True(await listener.WaitAsync(TimeSpan.FromSeconds(1), _time, CancellationToken.None).Within());
        var second = listener.WaitAsync(TimeSpan.FromSeconds(1), _time, CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await second.Within());
    }

    [Fact]
    public async Task WaitAsync_CallerCancels_Throws()
    {
        using var listener = _hub.Listen(Guid.NewGuid());
        using var cancel = new CancellationTokenSource();

        var waiting = listener.WaitAsync(TimeSpan.FromMinutes(1), _time, cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting).Within();
    }

    [Fact]
    public void Publish_AfterListenerDisposed_DoesNotThrow()
    {
        var id = Guid.NewGuid();
        var listener = _hub.Listen(id);
        listener.Dispose();

        _hub.Publish(new EngineEvent(id, "die"));
    }
}
