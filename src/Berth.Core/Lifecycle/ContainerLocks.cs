namespace Berth.Core.Lifecycle;

/// <summary>
/// One lock per container: operations on one container run one at a time, operations on different
/// containers run in parallel. Entries live only while someone holds or waits for them.
/// </summary>
public sealed class ContainerLocks
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Entry> _entries = [];

    public async Task<IDisposable> AcquireAsync(Guid containerId, CancellationToken cancellationToken)
    {
        var entry = Enter(containerId);
        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(containerId, entry, release: false);
            throw;
        }
        return new Holder(this, containerId, entry);
    }

    /// <summary>The lock if nobody holds it now, else null (the reconciler skips busy containers).</summary>
    public IDisposable? TryAcquire(Guid containerId)
    {
        var entry = Enter(containerId);
        if (!entry.Semaphore.Wait(0))
        {
            Leave(containerId, entry, release: false);
            return null;
        }
        return new Holder(this, containerId, entry);
    }

    public bool IsHeld(Guid containerId)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(containerId, out var entry) && entry.Semaphore.CurrentCount == 0;
        }
    }

    private Entry Enter(Guid containerId)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(containerId, out var entry))
            {
                entry = new Entry();
                _entries[containerId] = entry;
            }
            entry.Users++;
            return entry;
        }
    }

    private void Leave(Guid containerId, Entry entry, bool release)
    {
        if (release)
        {
            entry.Semaphore.Release();
        }
        lock (_gate)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(containerId);
                entry.Semaphore.Dispose();
            }
        }
    }

    private sealed class Entry
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public int Users { get; set; }
    }

    private sealed class Holder(ContainerLocks owner, Guid containerId, Entry entry) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Leave(containerId, entry, release: true);
            }
        }
    }
}
