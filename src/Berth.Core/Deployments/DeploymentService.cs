using Berth.Core.Accounts;
using Berth.Core.Containers;
using Berth.Core.Engine;
using Berth.Core.Errors;
using Berth.Core.Lifecycle;
using Berth.Core.Persistence;
using Berth.Core.Projects;

namespace Berth.Core.Deployments;

/// <summary>
/// Deploys, lists, cancels and rolls back, checking here (not in the endpoints) that the caller may
/// see the container: a deployment of a container the caller cannot see does not exist for them.
/// </summary>
public sealed class DeploymentService(
    ContainerService containers,
    IContainerStore store,
    IDeploymentStore deployments,
    IContainerEngine engine,
    DeploymentRunner runner,
    LifecycleExecutor executor,
    ContainerLocks locks,
    TimeProvider time)
{
    /// <summary>Rolls out the pending configuration, with <paramref name="image"/> when given; answers the new deployment, <c>in_progress</c>.</summary>
    public async Task<Deployment> DeployAsync(
        Caller caller, string idOrHostname, string? image, long? expectedVersion, CancellationToken cancellationToken)
    {
        if (image is not null && !ContainerValidation.IsImageReference(image))
        {
            throw BerthException.Validation("image", "must be an image reference such as 'nginx:1.27' or 'registry:5000/team/app@sha256:...'");
        }
        var container = await containers.GetAsync(caller, idOrHostname, Permission.Deploy, cancellationToken).ConfigureAwait(false);
        return await BeginAsync(container.Id, caller, expectedVersion, current =>
        {
            var desired = current.DesiredConfig;
            return (image is null ? desired : desired with { Image = image }, null, null);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Redeploys the snapshot of <paramref name="deploymentId"/>: its image content and its whole configuration, env included.</summary>
    public async Task<Deployment> RollbackAsync(Caller caller, Guid deploymentId, CancellationToken cancellationToken)
    {
        var source = await GetAsync(caller, deploymentId, Permission.Deploy, cancellationToken).ConfigureAwait(false);
        return await BeginAsync(source.ContainerId, caller, null, _ => (source.Target, source.ImageDigest, source.Id), cancellationToken)
            .ConfigureAwait(false);
    }

    public Task<Deployment> GetAsync(Caller caller, Guid deploymentId, CancellationToken cancellationToken) =>
        GetAsync(caller, deploymentId, Permission.View, cancellationToken);

    private async Task<Deployment> GetAsync(Caller caller, Guid deploymentId, Permission permission, CancellationToken cancellationToken)
    {
        var deployment = await deployments.FindAsync(deploymentId, cancellationToken).ConfigureAwait(false)
            ?? throw BerthException.NotFound("Deployment");
        await containers.EnsureAllowedAsync(caller, deployment.ContainerId, "Deployment", permission, cancellationToken).ConfigureAwait(false);
        return deployment;
    }

    public async Task<Page<Deployment>> ListAsync(Caller caller, string idOrHostname, int pageNumber, int limit, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(caller, idOrHostname, cancellationToken).ConfigureAwait(false);
        return await deployments.ListAsync(container.Id, pageNumber, limit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops an in-progress deploy and waits until the previous version is back; answers the ended deployment.</summary>
    public async Task<Deployment> CancelAsync(Caller caller, Guid deploymentId, CancellationToken cancellationToken)
    {
        var deployment = await GetAsync(caller, deploymentId, Permission.Deploy, cancellationToken).ConfigureAwait(false);
        if (deployment.IsFinished || !await runner.CancelAsync(deployment, caller.Actor, cancellationToken).ConfigureAwait(false))
        {
            throw new BerthException(BerthError.OperationStateConflict, $"Deployment is already {deployment.Status.ToWire()}",
                new Dictionary<string, object?> { ["status"] = deployment.Status.ToWire() });
        }
        return await deployments.FindAsync(deploymentId, cancellationToken).ConfigureAwait(false) ?? deployment;
    }

    private async Task<Deployment> BeginAsync(
        Guid containerId,
        Caller caller,
        long? expectedVersion,
        Func<Container, (ContainerConfig Target, string? Digest, Guid? RollbackOf)> plan,
        CancellationToken cancellationToken)
    {
        using var held = await locks.AcquireAsync(containerId, cancellationToken).ConfigureAwait(false);
        var current = await store.FindAsync(containerId, cancellationToken).ConfigureAwait(false)
            ?? throw BerthException.ContainerNotFound();
        Preconditions.CheckVersion(expectedVersion, current);
        if (current.State == ContainerState.Deploying)
        {
            throw new BerthException(BerthError.OperationStateConflict,
                "A deployment is already in progress; wait for it or cancel it first",
                new Dictionary<string, object?> { ["state"] = current.State.ToWire(), ["operation"] = "deploy" });
        }
        ContainerStateMachine.EnsureAllowed(current.State, ContainerOperation.Deploy);
        var (target, digest, rollbackOf) = plan(current);

        string resolved;
        try
        {
            // Pins what "the new image" is for the whole rollout, and fails fast on an image that cannot be had.
            resolved = await engine.ResolveImageAsync(target.Image, cancellationToken).ConfigureAwait(false);
        }
        catch (EngineUnavailableException ex)
        {
            throw BerthException.EngineUnavailable(ex.Message, ex);
        }
        var now = time.GetUtcNow();
        var deployment = new Deployment
        {
            Id = Guid.CreateVersion7(now),
            ContainerId = current.Id,
            Status = DeploymentStatus.InProgress,
            PreviousImage = current.Image,
            NewImage = target.Image,
            ImageDigest = digest ?? resolved,
            Previous = current.Config,
            Target = target,
            Generation = current.ReplicaGeneration + 1,
            RollbackOf = rollbackOf,
            Actor = caller.Actor,
            TriggeredAt = now,
        };
        await deployments.AddAsync(deployment, cancellationToken).ConfigureAwait(false);
        var reason = rollbackOf is { } source
            ? $"Deployment {Short(deployment.Id)}: rolling back to deployment {Short(source)} ({target.Image})"
            : $"Deployment {Short(deployment.Id)}: {current.Image} -> {target.Image}";
        await executor.SaveAsync(current, current with
        {
            State = ContainerState.Deploying,
            StateReason = null,
            ReplicaGeneration = deployment.Generation,
        }, Transitions.Create(current.Id, current.State, ContainerState.Deploying, ContainerOperation.Deploy.ToWire(), caller.Actor, reason, time))
            .ConfigureAwait(false);
        runner.Start(deployment);
        return deployment;
    }

    private static string Short(Guid id) => id.ToString("N")[^12..];
}
