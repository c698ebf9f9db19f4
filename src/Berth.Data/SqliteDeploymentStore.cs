using Berth.Core.Deployments;
using Berth.Core.Persistence;
using Berth.Data.Rows;
using Microsoft.EntityFrameworkCore;

namespace Berth.Data;

/// <summary>Deployments, kept whole. A singleton over short-lived pooled contexts, like the other stores.</summary>
internal sealed class SqliteDeploymentStore(IDbContextFactory<BerthDbContext> contexts, ConfigCodec codec) : IDeploymentStore
{
    public async Task AddAsync(Deployment deployment, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Deployments.Add(ToRow(deployment));
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task UpdateAsync(Deployment deployment, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Deployments.Update(ToRow(deployment));
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<Deployment?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Deployments.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        return row is null ? null : ToRecord(row);
    }

    public async Task<Page<Deployment>> ListAsync(Guid containerId, int pageNumber, int limit, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var history = db.Deployments.AsNoTracking().Where(d => d.ContainerId == containerId);
        var total = await history.CountAsync(cancellationToken);
        var (skip, take) = Paging.Window(pageNumber, limit);
        var rows = total <= skip || take == 0
            ? []
            : await history.OrderByDescending(d => d.TriggeredAt).ThenByDescending(d => d.Id).Skip(skip).Take(take).ToListAsync(cancellationToken);
        return new Page<Deployment>(rows.ConvertAll(ToRecord), pageNumber, limit, total);
    }

    public async Task<IReadOnlyList<Deployment>> ListInProgressAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Deployments.AsNoTracking().Where(d => d.Status == DeploymentStatus.InProgress)
            .OrderBy(d => d.TriggeredAt).ToListAsync(cancellationToken);
        return rows.ConvertAll(ToRecord);
    }

    private DeploymentRow ToRow(Deployment d) => new()
    {
        Id = d.Id,
        ContainerId = d.ContainerId,
        Status = d.Status,
        PreviousImage = d.PreviousImage,
        NewImage = d.NewImage,
        ImageDigest = d.ImageDigest,
        Previous = codec.SerializeConfig(d.Previous)!,
        Target = codec.SerializeConfig(d.Target)!,
        Generation = d.Generation,
        RollbackOf = d.RollbackOf,
        Actor = d.Actor,
        TriggeredAt = d.TriggeredAt,
        FinishedAt = d.FinishedAt,
        Reason = d.Reason,
        Steps = StoreJson.SerializeSteps(d.Steps),
    };

    private Deployment ToRecord(DeploymentRow r) => new()
    {
        Id = r.Id,
        ContainerId = r.ContainerId,
        Status = r.Status,
        PreviousImage = r.PreviousImage,
        NewImage = r.NewImage,
        ImageDigest = r.ImageDigest,
        Previous = codec.DeserializeConfig(r.Previous)!,
        Target = codec.DeserializeConfig(r.Target)!,
        Generation = r.Generation,
        RollbackOf = r.RollbackOf,
        Actor = r.Actor,
        TriggeredAt = r.TriggeredAt,
        FinishedAt = r.FinishedAt,
        Reason = r.Reason,
        Steps = StoreJson.DeserializeSteps(r.Steps),
    };
}
