using System.Diagnostics.CodeAnalysis;

namespace Berth.Core.Logs;

/// <summary>
/// The live lines waiting for one follower. Bounded: when the follower has <c>capacity</c> lines
/// waiting, newer lines are dropped and the follower later reads one <see cref="LogLinesDropped"/> at
/// the place of the gap. Offering never blocks, so a slow reader costs the writer nothing.
/// </summary>
internal sealed class LogFollower : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<LogEntry> _queue = new();
    private readonly int _capacity;
    private readonly Action<LogFollower>? _onDispose;
    private long _dropped;
    private DateTimeOffset _droppedAt;
    private bool _completed;
    private TaskCompletionSource? _waiter;

    public LogFollower(int capacity, Action<LogFollower>? onDispose = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _onDispose = onDispose;
    }

    /// <summary>Lines dropped in total, for tests and diagnostics.</summary>
    public long TotalDropped { get; private set; }

    public void Offer(LogLine line)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }
            if (_queue.Count >= _capacity)
            {
                if (_dropped == 0)
                {
                    _droppedAt = line.Time;
                }
                _dropped++;
                TotalDropped++;
                return;
            }
            if (_dropped > 0)
            {
                _queue.Enqueue(new LogLinesDropped(_droppedAt, _dropped));
                _dropped = 0;
            }
            _queue.Enqueue(line);
            Wake();
        }
    }

    /// <summary>No more lines will come (the container is gone); the reader ends after what is waiting.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            Wake();
        }
    }

    public bool TryRead([NotNullWhen(true)] out LogEntry? entry)
    {
        lock (_gate)
        {
            if (_queue.TryDequeue(out entry))
            {
                return true;
            }
            if (_dropped > 0)
            {
                entry = new LogLinesDropped(_droppedAt, _dropped);
                _dropped = 0;
                return true;
            }
            return false;
        }
    }

    /// <summary>True when something can be read; false when the follower is complete and drained.</summary>
    public async Task<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task waiting;
            lock (_gate)
            {
                if (_queue.Count > 0 || _dropped > 0)
                {
                    return true;
                }
                if (_completed)
                {
                    return false;
                }
                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                waiting = _waiter.Task;
            }
            await waiting.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        Complete();
        _onDispose?.Invoke(this);
    }

    private void Wake()
    {
        _waiter?.TrySetResult();
        _waiter = null;
    }
}
