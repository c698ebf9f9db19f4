using System.Linq.Expressions;
using Berth.Core.Containers;
using Berth.Core.Errors;
using Berth.Core.Persistence;
using Berth.Data.Rows;
using Microsoft.EntityFrameworkCore;

namespace Berth.Data;

/// <summary>
/// Containers and their status logs. A singleton: every call takes a short-lived context from the
/// pool, so calls from many threads never share one.
/// </summary>
internal sealed class SqliteContainerStore(IDbContextFactory<BerthDbContext> contexts, ConfigCodec codec) : IContainerStore
{
    // FindAsync serves every GET; a compiled query skips LINQ translation and its cache lookup.
    private static readonly Func<BerthDbContext, Guid, Task<ContainerRow?>> s_findLive =
        EF.CompileAsyncQuery((BerthDbContext db, Guid id) =>
            db.Containers.AsNoTracking().FirstOrDefault(c => c.Id == id && c.DeletedAt == null));

    private static readonly Func<BerthDbContext, string, IAsyncEnumerable<ContainerRow>> s_findByHostname =
        EF.CompileAsyncQuery<BerthDbContext, string, ContainerRow>((db, hostname) =>
            db.Containers.AsNoTracking()
                .Where(c => c.Hostname == hostname && c.DeletedAt == null)
                .OrderBy(c => c.CreatedAt)
                .ThenBy(c => c.Id));

    public async Task<Container?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await s_findLive(db, id);
        return row?.ToRecord(codec);
    }

    public async Task<IReadOnlyList<Container>> FindByHostnameAsync(string hostname, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var found = new List<Container>();
        await foreach (var row in s_findByHostname(db, hostname).WithCancellation(cancellationToken))
        {
            found.Add(row.ToRecord(codec));
        }
        return found;
    }

    public async Task<Page<Container>> ListAsync(ContainerQuery query, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var live = db.Containers.AsNoTracking().Where(c => c.DeletedAt == null);
        if (query.OwnerId is { } ownerId)
        {
            if (query.MemberProjectIds is { Count: > 0 } projects)
            {
                var projectIds = projects.Select(p => (Guid?)p).ToList();
                live = live.Where(c => c.UserId == ownerId || projectIds.Contains(c.ProjectId));
            }
            else
            {
                live = live.Where(c => c.UserId == ownerId);
            }
        }
        if (query.ProjectId is { } projectId)
        {
            live = live.Where(c => c.ProjectId == projectId);
        }
        if (query.EnvironmentId is { } environmentId)
        {
            live = live.Where(c => c.EnvironmentId == environmentId);
        }
        if (query.State is { } state)
        {
            live = live.Where(c => c.State == state);
        }

        var total = await live.CountAsync(cancellationToken);
        var (skip, take) = Paging.Window(query.PageNumber, query.Limit);
        var rows = total <= skip || take == 0
            ? []
            : await live.OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id)
                .Skip(skip).Take(take).ToListAsync(cancellationToken);
        return new Page<Container>(rows.ConvertAll(r => r.ToRecord(codec)), query.PageNumber, query.Limit, total);
    }

    public async Task<IReadOnlyList<Container>> ListLiveAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Containers.AsNoTracking()
            .Where(c => c.DeletedAt == null)
            .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id)
            .ToListAsync(cancellationToken);
        return rows.ConvertAll(r => r.ToRecord(codec));
    }

    public async Task AddAsync(Container container, StatusTransition transition, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Containers.Add(container.ToRow(codec));
        db.Transitions.Add(transition.ToRow());
        try
        {
            // One SaveChanges is one transaction: the record never exists without its first log line.
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (SqliteErrors.IsUniqueViolation(e))
        {
            throw HostnameTaken(container.Hostname, e);
        }
    }

    public async Task<bool> TryUpdateAsync(Container updated, long expectedVersion, StatusTransition? transition, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entry = db.Containers.Attach(updated.ToRow(codec));
        entry.State = EntityState.Modified;
        // The WHERE clause carries both tokens: the version the caller read, and "not deleted".
        entry.Property(c => c.Version).OriginalValue = expectedVersion;
        entry.Property(c => c.DeletedAt).OriginalValue = null;
        entry.Property(c => c.DeletedAt).IsModified = false;
        entry.Property(c => c.CreatedAt).IsModified = false;
        if (transition is not null)
        {
            db.Transitions.Add(transition.ToRow());
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            // SaveChanges rolled back its transaction, so the transition was not written either.
            return false;
        }
        catch (DbUpdateException e) when (SqliteErrors.IsUniqueViolation(e))
        {
            throw HostnameTaken(updated.Hostname, e);
        }
    }

    public async Task DeleteAsync(Guid id, StatusTransition transition, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var at = transition.TransitionTime;
        // The version moves on so that an update prepared before the delete cannot land after it.
        var deleted = await db.Containers
            .Where(c => c.Id == id && c.DeletedAt == null)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.DeletedAt, at)
                .SetProperty(c => c.UpdatedAt, at)
                .SetProperty(c => c.State, transition.ToStatus)
                .SetProperty(c => c.PendingOperation, (ContainerOperation?)null)
                .SetProperty(c => c.Version, c => c.Version + 1),
                cancellationToken);
        if (deleted == 0)
        {
            throw BerthException.ContainerNotFound();
        }
        db.Transitions.Add(transition.ToRow());
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<Page<StatusTransition>> ListTransitionsAsync(Guid containerId, TransitionQuery query, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var log = db.Transitions.AsNoTracking().Where(t => t.ContainerId == containerId);
        var total = await log.CountAsync(cancellationToken);
        var (skip, take) = Paging.Window(query.PageNumber, query.Limit);
        if (total <= skip || take == 0)
        {
            return new Page<StatusTransition>([], query.PageNumber, query.Limit, total);
        }

        var descending = query.Order == SortOrder.Descending;
        var ordered = query.SortBy switch
        {
            TransitionSort.TransitionTime => Sort(log, t => t.TransitionTime, descending),
            TransitionSort.CreatedAt => Sort(log, t => t.CreatedAt, descending),
            TransitionSort.ToStatus => Sort(log, t => t.ToStatus, descending),
            TransitionSort.FromStatus => Sort(log, t => t.FromStatus, descending),
            _ => throw new ArgumentOutOfRangeException(nameof(query), query.SortBy, "Unknown sort key"),
        };
        var rows = await ordered.Skip(skip).Take(take).ToListAsync(cancellationToken);
        return new Page<StatusTransition>(rows.ConvertAll(r => r.ToRecord()), query.PageNumber, query.Limit, total);
    }

    public async Task<IReadOnlyList<SequencedTransition>> ListTransitionsAfterAsync(
        long afterSequence, Guid? ownerId, int limit, CancellationToken cancellationToken, IReadOnlyList<Guid>? projectIds = null)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var projects = (projectIds ?? []).Select(p => (Guid?)p).ToList();
        var rows = await (
                from t in db.Transitions.AsNoTracking()
                join c in db.Containers.AsNoTracking() on t.ContainerId equals c.Id
                where t.Seq > afterSequence && (ownerId == null || c.UserId == ownerId || projects.Contains(c.ProjectId))
                orderby t.Seq
                select new { Transition = t, c.Hostname })
            .Take(limit)
            .ToListAsync(cancellationToken);
        return rows.ConvertAll(r => new SequencedTransition(r.Transition.Seq, r.Hostname, r.Transition.ToRecord()));
    }

    public async Task<long> LatestSequenceAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Transitions.MaxAsync(t => (long?)t.Seq, cancellationToken) ?? 0;
    }

    // Insertion order breaks ties in the same direction, so equal keys keep a stable, repeatable order.
    private static IOrderedQueryable<TransitionRow> Sort<TKey>(
        IQueryable<TransitionRow> log, Expression<Func<TransitionRow, TKey>> key, bool descending) =>
        descending
            ? log.OrderByDescending(key).ThenByDescending(t => t.Seq)
            : log.OrderBy(key).ThenBy(t => t.Seq);

    private static BerthException HostnameTaken(string hostname, Exception inner) =>
        new(BerthError.AlreadyExists, $"A container named '{hostname}' already exists", inner: inner);
}
