using Berth.Core.Engine;

namespace Berth.Core.Lifecycle;

/// <summary>
/// Fans the one engine event subscription out to the operations waiting on a container, so that an
/// operation confirms as soon as the engine reports a change instead of at its next poll.
/// </summary>
public sealed class EngineEventHub
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, List<EngineListener>> _listeners = [];

    /// <summary>Starts listening before acting, so no event of the action can be missed.</summary>
    public EngineListener Listen(Guid containerId)
    {
        var listener = new EngineListener(this, containerId);
        lock (_gate)
        {
            if (!_listeners.TryGetValue(containerId, out var list))
            {
                list = [];
                _listeners[containerId] = list;
            }
            list.Add(listener);
        }
        return listener;
    }

    public void Publish(EngineEvent engineEvent)
    {
        lock (_gate)
        {
            if (_listeners.TryGetValue(engineEvent.ContainerId, out var list))
            {
                foreach (var listener in list)
                {
                    listener.Signal();
                }
            }
        }
    }

    internal void Remove(EngineListener listener)
    {
        lock (_gate)
        {
            if (_listeners.TryGetValue(listener.ContainerId, out var list) && list.Remove(listener) && list.Count == 0)
            {
                _listeners.Remove(listener.ContainerId);
            }
        }
    }
}

public sealed class EngineListener : IDisposable
{
    private readonly EngineEventHub _hub;
    private readonly SemaphoreSlim _signal = new(0);

    internal EngineListener(EngineEventHub hub, Guid containerId)
    {
        _hub = hub;
        ContainerId = containerId;
    }

    public Guid ContainerId { get; }

    /// <summary>Completes when an event arrives (true) or the timeout passes (false).</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        WaitAsync(timeout, TimeProvider.System, cancellationToken);

    /// <summary>
    /// Like <see cref="WaitAsync(TimeSpan, CancellationToken)"/>, with the timeout measured on
    /// <paramref name="time"/>, so that the poll interval follows the same clock as the deadline it serves.
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken);
        try
        {
            await _signal.WaitAsync(linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    internal void Signal()
    {
        // One pending signal is enough: the waiter observes the engine afresh after waking.
        if (_signal.CurrentCount == 0)
        {
            _signal.Release();
        }
    }

    public void Dispose()
    {
        _hub.Remove(this);
        _signal.Dispose();
    }
}
