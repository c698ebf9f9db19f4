using Berth.Core.Containers;
using Berth.Core.Errors;
using Berth.Core.Persistence;

namespace Berth.Core.Tests.Fakes;

/// <summary>
/// An <see cref="IContainerStore"/> in memory that keeps the contract of the real one: optimistic
/// versions, a state change and its status-log line written together, soft delete, hostnames unique
/// per owner among live containers, paged and sorted status logs.
/// </summary>
internal sealed class InMemoryContainerStore : IContainerStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Container> _live = [];
    private readonly Dictionary<Guid, Container> _deleted = [];
    private readonly List<StatusTransition> _transitions = [];
    private readonly List<(Func<InMemoryContainerStore, bool> Condition, TaskCompletionSource Done)> _waiters = [];

    public int UpdateCount { get; private set; }

    /// <summary>Puts a record in place without a status-log line, as test set-up.</summary>
    public Container Seed(Container container)
    {
        lock (_gate)
        {
            _live[container.Id] = container;
        }
        return container;
    }

    /// <summary>The container's status log in the order it was written, deleted containers included.</summary>
    public IReadOnlyList<StatusTransition> TransitionsOf(Guid containerId)
    {
        lock (_gate)
        {
            return _transitions.Where(t => t.ContainerId == containerId).ToList();
        }
    }

    public bool IsDeleted(Guid containerId)
    {
        lock (_gate)
        {
            return _deleted.ContainsKey(containerId);
        }
    }

    /// <summary>The live record, for assertions (null when gone).</summary>
    public Container? Get(Guid containerId)
    {
        lock (_gate)
        {
            return _live.GetValueOrDefault(containerId);
        }
    }

    /// <summary>Completes when a write makes <paramref name="condition"/> true (or it already is).</summary>
    public Task WaitForAsync(Func<InMemoryContainerStore, bool> condition)
    {
        lock (_gate)
        {
            if (condition(this))
            {
                return Task.CompletedTask;
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((condition, done));
            return done.Task;
        }
    }

    public Task<Container?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_live.GetValueOrDefault(id));
        }
    }

    public Task<IReadOnlyList<Container>> FindByHostnameAsync(string hostname, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<Container> found = _live.Values
                .Where(c => c.Hostname == hostname)
                .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id)
                .ToList();
            return Task.FromResult(found);
        }
    }

    public Task<Page<Container>> ListAsync(ContainerQuery query, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var matching = _live.Values
                .Where(c => query.OwnerId is null || c.UserId == query.OwnerId
                    || (c.ProjectId is { } p && query.MemberProjectIds is { } projects && projects.Contains(p)))
                .Where(c => query.ProjectId is null || c.ProjectId == query.ProjectId)
                .Where(c => query.EnvironmentId is null || c.EnvironmentId == query.EnvironmentId)
                .Where(c => query.State is null || c.State == query.State)
                .OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id)
                .ToList();
            return Task.FromResult(PageOf(matching, query.PageNumber, query.Limit));
        }
    }

    public Task<IReadOnlyList<Container>> ListLiveAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<Container> all = _live.Values.OrderBy(c => c.CreatedAt).ThenBy(c => c.Id).ToList();
            return Task.FromResult(all);
        }
    }

    public Task AddAsync(Container container, StatusTransition transition, CancellationToken cancellationToken)
    {
        CheckBelongs(container.Id, transition);
        lock (_gate)
        {
            if (_live.ContainsKey(container.Id) || _deleted.ContainsKey(container.Id))
            {
                throw new InvalidOperationException($"Container {container.Id} was already added");
            }
            EnsureHostnameFree(container);
            _live[container.Id] = container;
            _transitions.Add(transition);
        }
        Notify();
        return Task.CompletedTask;
    }

    public Task<bool> TryUpdateAsync(Container updated, long expectedVersion, StatusTransition? transition, CancellationToken cancellationToken)
    {
        if (transition is not null)
        {
            CheckBelongs(updated.Id, transition);
        }
        lock (_gate)
        {
            if (!_live.TryGetValue(updated.Id, out var stored) || stored.Version != expectedVersion)
            {
                return Task.FromResult(false);
            }
            EnsureHostnameFree(updated);
            _live[updated.Id] = updated;
            if (transition is not null)
            {
                _transitions.Add(transition);
            }
            UpdateCount++;
        }
        Notify();
        return Task.FromResult(true);
    }

    public Task DeleteAsync(Guid id, StatusTransition transition, CancellationToken cancellationToken)
    {
        CheckBelongs(id, transition);
        lock (_gate)
        {
            if (!_live.Remove(id, out var record))
            {
                throw BerthException.ContainerNotFound();
            }
            _deleted[id] = record;
            _transitions.Add(transition);
        }
        Notify();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<SequencedTransition>> ListTransitionsAfterAsync(
        long afterSequence, Guid? ownerId, int limit, CancellationToken cancellationToken, IReadOnlyList<Guid>? projectIds = null)
    {
        lock (_gate)
        {
            IReadOnlyList<SequencedTransition> result = _transitions
                .Select((t, position) => (t, sequence: position + 1L))
                .Where(p => p.sequence > afterSequence)
                .Select(p => (p.t, p.sequence, owner: _live.GetValueOrDefault(p.t.ContainerId) ?? _deleted.GetValueOrDefault(p.t.ContainerId)))
                .Where(p => p.owner is not null && (ownerId is null || p.owner.UserId == ownerId
                    || (p.owner.ProjectId is { } project && projectIds is not null && projectIds.Contains(project))))
                .Take(limit)
                .Select(p => new SequencedTransition(p.sequence, p.owner!.Hostname, p.t))
                .ToList();
            return Task.FromResult(result);
        }
    }

    public Task<long> LatestSequenceAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult((long)_transitions.Count);
        }
    }

    public Task<Page<StatusTransition>> ListTransitionsAsync(Guid containerId, TransitionQuery query, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // The position in the log breaks ties, so that equal keys keep a stable, meaningful order.
            var log = _transitions.Select((t, position) => (t, position)).Where(p => p.t.ContainerId == containerId);
            var sorted = (query.SortBy, query.Order) switch
            {
                (TransitionSort.TransitionTime, SortOrder.Ascending) => log.OrderBy(p => p.t.TransitionTime),
                (TransitionSort.TransitionTime, _) => log.OrderByDescending(p => p.t.TransitionTime),
                (TransitionSort.CreatedAt, SortOrder.Ascending) => log.OrderBy(p => p.t.CreatedAt),
                (TransitionSort.CreatedAt, _) => log.OrderByDescending(p => p.t.CreatedAt),
                (TransitionSort.ToStatus, SortOrder.Ascending) => log.OrderBy(p => p.t.ToStatus.ToWire(), StringComparer.Ordinal),
                (TransitionSort.ToStatus, _) => log.OrderByDescending(p => p.t.ToStatus.ToWire(), StringComparer.Ordinal),
                (TransitionSort.FromStatus, SortOrder.Ascending) => log.OrderBy(p => p.t.FromStatus?.ToWire() ?? "", StringComparer.Ordinal),
                (TransitionSort.FromStatus, _) => log.OrderByDescending(p => p.t.FromStatus?.ToWire() ?? "", StringComparer.Ordinal),
                _ => throw new ArgumentOutOfRangeException(nameof(query), query.SortBy, null),
            };
            var ordered = (query.Order == SortOrder.Ascending ? sorted.ThenBy(p => p.position) : sorted.ThenByDescending(p => p.position))
                .Select(p => p.t)
                .ToList();
            return Task.FromResult(PageOf(ordered, query.PageNumber, query.Limit));
        }
    }

    private void EnsureHostnameFree(Container container)
    {
        if (_live.Values.Any(c => c.Id != container.Id && c.UserId == container.UserId && c.Hostname == container.Hostname))
        {
            throw new BerthException(BerthError.AlreadyExists, $"You already have a container named '{container.Hostname}'");
        }
    }

    private static void CheckBelongs(Guid containerId, StatusTransition transition)
    {
        if (transition.ContainerId != containerId)
        {
            throw new ArgumentException("The status-log line belongs to another container", nameof(transition));
        }
    }

    private static Page<T> PageOf<T>(List<T> items, int pageNumber, int limit) =>
        new(items.Skip((Math.Max(pageNumber, 1) - 1) * limit).Take(limit).ToList(), pageNumber, limit, items.Count);

    private void Notify()
    {
        List<TaskCompletionSource> done;
        lock (_gate)
        {
            done = _waiters.Where(w => w.Condition(this)).Select(w => w.Done).ToList();
            _waiters.RemoveAll(w => done.Contains(w.Done));
        }
        foreach (var waiter in done)
        {
            waiter.TrySetResult();
        }
    }
}
