using System.Collections.Concurrent;
using Berth.Core.Containers;

namespace Berth.Core.Persistence;

/// <summary>
/// Keeps live containers in memory by id, written through on every change, so that the hot path
/// (GET of one container, every operation's first read) does not touch the database. Exact because
/// this server is the only writer of its store; a second server on the same database would need
/// invalidation first. Every write pulses <see cref="ContainerChangeSignal"/> for waiters and event streams.
/// </summary>
public sealed class CachingContainerStore(IContainerStore inner, ContainerChangeSignal changes) : IContainerStore
{
    private readonly ConcurrentDictionary<Guid, Container> _byId = new();

    // Deleted ids, so that a read racing a delete cannot put the deleted record back (16 bytes each).
    private readonly ConcurrentDictionary<Guid, byte> _deleted = new();

    public async Task<Container?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        if (_byId.TryGetValue(id, out var cached))
        {
            return cached;
        }
        var container = await inner.FindAsync(id, cancellationToken).ConfigureAwait(false);
        if (container is not null && !_deleted.ContainsKey(id))
        {
            // A concurrent write may have cached a newer snapshot meanwhile: keep the higher version.
            _byId.AddOrUpdate(id, container, (_, existing) => existing.Version >= container.Version ? existing : container);
        }
        return container;
    }

    public Task<IReadOnlyList<Container>> FindByHostnameAsync(string hostname, CancellationToken cancellationToken) =>
        inner.FindByHostnameAsync(hostname, cancellationToken);

    public Task<Page<Container>> ListAsync(ContainerQuery query, CancellationToken cancellationToken) =>
        inner.ListAsync(query, cancellationToken);

    public Task<IReadOnlyList<Container>> ListLiveAsync(CancellationToken cancellationToken) =>
        inner.ListLiveAsync(cancellationToken);

    public async Task AddAsync(Container container, StatusTransition transition, CancellationToken cancellationToken)
    {
        await inner.AddAsync(container, transition, cancellationToken).ConfigureAwait(false);
        _byId[container.Id] = container;
        changes.Pulse();
    }

    public async Task<bool> TryUpdateAsync(Container updated, long expectedVersion, StatusTransition? transition, CancellationToken cancellationToken)
    {
        bool stored;
        try
        {
            stored = await inner.TryUpdateAsync(updated, expectedVersion, transition, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _byId.TryRemove(updated.Id, out _);
            throw;
        }
        if (stored)
        {
            _byId[updated.Id] = updated;
            changes.Pulse();
        }
        else
        {
            _byId.TryRemove(updated.Id, out _);
        }
        return stored;
    }

    public async Task DeleteAsync(Guid id, StatusTransition transition, CancellationToken cancellationToken)
    {
        await inner.DeleteAsync(id, transition, cancellationToken).ConfigureAwait(false);
        _deleted[id] = 0;
        _byId.TryRemove(id, out _);
        changes.Pulse();
    }

    public Task<Page<StatusTransition>> ListTransitionsAsync(Guid containerId, TransitionQuery query, CancellationToken cancellationToken) =>
        inner.ListTransitionsAsync(containerId, query, cancellationToken);

    public Task<IReadOnlyList<SequencedTransition>> ListTransitionsAfterAsync(
        long afterSequence, Guid? ownerId, int limit, CancellationToken cancellationToken, IReadOnlyList<Guid>? projectIds = null) =>
        inner.ListTransitionsAfterAsync(afterSequence, ownerId, limit, cancellationToken, projectIds);

    public Task<long> LatestSequenceAsync(CancellationToken cancellationToken) => inner.LatestSequenceAsync(cancellationToken);
}
