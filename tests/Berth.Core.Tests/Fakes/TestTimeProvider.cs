using Microsoft.Extensions.Time.Testing;

namespace Berth.Core.Tests.Fakes;

/// <summary>
/// A fake clock that also tells the test when code under test starts waiting on it, so that the test
/// advances time only once the waiter is in place (advancing earlier would be lost on it).
/// </summary>
internal sealed class TestTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Lock _gate = new();
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
    private int _timersCreated;

    public static DateTimeOffset DefaultStart { get; } = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public TestTimeProvider()
        : this(DefaultStart)
    {
    }

    public int TimersCreated
    {
        get
        {
            lock (_gate)
            {
                return _timersCreated;
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        List<TaskCompletionSource> done;
        lock (_gate)
        {
            _timersCreated++;
            done = _waiters.Where(w => w.Count <= _timersCreated).Select(w => w.Done).ToList();
            _waiters.RemoveAll(w => w.Count <= _timersCreated);
        }
        foreach (var waiter in done)
        {
            waiter.TrySetResult();
        }
        return timer;
    }

    /// <summary>Completes once <paramref name="count"/> timers have been created in total.</summary>
    public Task WaitForTimersAsync(int count)
    {
        lock (_gate)
        {
            if (_timersCreated >= count)
            {
                return Task.CompletedTask;
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task;
        }
    }
}
