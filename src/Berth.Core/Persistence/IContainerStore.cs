using Berth.Core.Containers;

namespace Berth.Core.Persistence;

/// <summary>
/// Filters of the container list. <see cref="OwnerId"/> null means every owner (admins); with an owner,
/// the containers of <see cref="MemberProjectIds"/> are listed too (the projects the owner is a member of).
/// </summary>
public sealed record ContainerQuery(
    Guid? OwnerId,
    Guid? ProjectId,
    string? EnvironmentId,
    ContainerState? State,
    int PageNumber,
    int Limit,
    IReadOnlyList<Guid>? MemberProjectIds = null);

public enum TransitionSort
{
    TransitionTime,
    CreatedAt,
    ToStatus,
    FromStatus,
}

public sealed record TransitionQuery(int PageNumber, int Limit, TransitionSort SortBy, SortOrder Order);

/// <summary>
/// The records of containers and their status logs. Every write that changes a state writes its
/// status-log line in the same transaction; writes are optimistic on <see cref="Container.Version"/>.
/// </summary>
public interface IContainerStore
{
    /// <summary>The live (not deleted) container with this id, or null.</summary>
    Task<Container?> FindAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Live containers with this hostname (any owner); the caller filters by visibility.</summary>
    Task<IReadOnlyList<Container>> FindByHostnameAsync(string hostname, CancellationToken cancellationToken);

    Task<Page<Container>> ListAsync(ContainerQuery query, CancellationToken cancellationToken);

    /// <summary>Every live container, for the reconciler.</summary>
    Task<IReadOnlyList<Container>> ListLiveAsync(CancellationToken cancellationToken);

    /// <summary>Adds a container with its first status-log line. Throws ALREADY_EXISTS when the owner has a live container of that hostname.</summary>
    Task AddAsync(Container container, StatusTransition transition, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the record if its stored version is still <paramref name="expectedVersion"/>, writing
    /// <paramref name="transition"/> in the same transaction. Returns false (writing nothing) otherwise.
    /// </summary>
    Task<bool> TryUpdateAsync(Container updated, long expectedVersion, StatusTransition? transition, CancellationToken cancellationToken);

    /// <summary>Marks the container deleted (its history stays) and frees its hostname.</summary>
    Task DeleteAsync(Guid id, StatusTransition transition, CancellationToken cancellationToken);

    Task<Page<StatusTransition>> ListTransitionsAsync(Guid containerId, TransitionQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Status-log lines written after position <paramref name="afterSequence"/>, oldest first, of the
    /// containers of <paramref name="ownerId"/> (every owner when null) and of <paramref name="projectIds"/>,
    /// deleted containers included.
    /// The sequence is the order of commits, so a reader that resumes from the last one it saw misses nothing.
    /// </summary>
    Task<IReadOnlyList<SequencedTransition>> ListTransitionsAfterAsync(
        long afterSequence, Guid? ownerId, int limit, CancellationToken cancellationToken, IReadOnlyList<Guid>? projectIds = null);

    /// <summary>The position of the newest status-log line (0 when there is none).</summary>
    Task<long> LatestSequenceAsync(CancellationToken cancellationToken);
}

/// <summary>A status-log line with its position in the whole log and the hostname of its container.</summary>
public sealed record SequencedTransition(long Sequence, string Hostname, StatusTransition Transition);
