using Berth.Core.Persistence;

namespace Berth.Core.Deployments;

/// <summary>The deployments of every container, kept whole (also after the container is deleted).</summary>
public interface IDeploymentStore
{
    Task AddAsync(Deployment deployment, CancellationToken cancellationToken);

    /// <summary>Replaces the stored deployment with the same id.</summary>
    Task UpdateAsync(Deployment deployment, CancellationToken cancellationToken);

    Task<Deployment?> FindAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>A container's deployments, newest first.</summary>
    Task<Page<Deployment>> ListAsync(Guid containerId, int pageNumber, int limit, CancellationToken cancellationToken);

    /// <summary>Deployments still <c>in_progress</c>: after a restart, the ones nobody is running any more.</summary>
    Task<IReadOnlyList<Deployment>> ListInProgressAsync(CancellationToken cancellationToken);
}
