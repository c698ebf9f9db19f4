using Berth.Core.Accounts;
using Berth.Core.Deployments;
using Berth.Core.Errors;
using Berth.Core.Lifecycle;
using Berth.Core.Persistence;
using Microsoft.Extensions.Options;

namespace Berth.Core.Containers;

/// <summary>Filters a caller may put on the container list (already parsed and validated).</summary>
public sealed record ContainerListFilter(Guid? ProjectId, string? EnvironmentId, ContainerState? State, int PageNumber, int Limit);

/// <summary>
/// The one application service behind every way into containers (native API, dialects, CLI). It
/// checks visibility here, not in the endpoints: a container the caller may not see does not exist
/// for them (404 CONTAINER_NOT_FOUND), exactly like one that does not exist at all.
/// </summary>
public sealed class ContainerService(
    IContainerStore store,
    LifecycleExecutor executor,
    ContainerLocks locks,
    DomainClaims domains,
    IDeploymentControl deploys,
    IOptions<BerthOptions> options,
    TimeProvider time)
{
    private readonly BerthOptions _options = options.Value;

    public Task<Page<Container>> ListAsync(Caller caller, ContainerListFilter filter, CancellationToken cancellationToken) =>
        store.ListAsync(new ContainerQuery(
            caller.IsAdmin ? null : caller.UserId,
            filter.ProjectId, filter.EnvironmentId, filter.State, filter.PageNumber, filter.Limit), cancellationToken);

    /// <summary>Stores the container as <c>provisioning</c> and boots it in the background.</summary>
    public async Task<Container> CreateAsync(Caller caller, CreateContainerRequest request, CancellationToken cancellationToken)
    {
        var valid = ContainerValidation.ValidateCreate(request, _options.DefaultImage);
        var now = time.GetUtcNow();
        var container = new Container
        {
            Id = Guid.CreateVersion7(now),
            UserId = caller.UserId,
            EnvironmentId = _options.EnvironmentId,
            Hostname = valid.Hostname!,
            Image = valid.Image!,
            Command = valid.Command,
            Env = valid.Env!,
            Port = valid.Port,
            Replicas = valid.Replicas!.Value,
            CpuCores = valid.CpuCores!.Value,
            MemoryMb = valid.MemoryMb!.Value,
            DiskGb = valid.DiskGb!.Value,
            HealthCheck = valid.HealthCheck,
            Domains = valid.Domains!,
            Volumes = valid.Volumes!,
            State = ContainerState.Provisioning,
            PendingOperation = ContainerOperation.Create,
            CreatedAt = now,
            UpdatedAt = now,
        };
        using (await domains.HoldAsync(cancellationToken).ConfigureAwait(false))
        {
            await domains.EnsureFreeAsync(container.Id, container.Domains, cancellationToken).ConfigureAwait(false);
            await store.AddAsync(container,
                Transitions.Create(container.Id, null, ContainerState.Provisioning, ContainerOperation.Create.ToWire(), caller.Actor, null, time),
                cancellationToken).ConfigureAwait(false);
        }
        executor.BootInBackground(container.Id, caller.Actor);
        return container;
    }

    /// <summary>The container addressed by id or hostname, if the caller may see it.</summary>
    public async Task<Container> GetAsync(Caller caller, string idOrHostname, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(idOrHostname, out var id))
        {
            var container = await store.FindAsync(id, cancellationToken).ConfigureAwait(false);
            return container is not null && CanSee(caller, container) ? container : throw BerthException.ContainerNotFound();
        }
        if (!ContainerValidation.IsDnsLabel(idOrHostname))
        {
            throw new BerthException(BerthError.InvalidIdFormat,
                "Invalid ID format: a container is addressed by its UUID or its hostname");
        }
        var visible = (await store.FindByHostnameAsync(idOrHostname, cancellationToken).ConfigureAwait(false))
            .Where(c => CanSee(caller, c))
            .ToList();
        return visible.Count switch
        {
            0 => throw BerthException.ContainerNotFound(),
            1 => visible[0],
            _ => throw BerthException.Validation("id",
                $"{visible.Count} containers you can see are named '{idOrHostname}'; address the one you mean by its id"),
        };
    }

    /// <summary>
    /// For things that belong to a container (commands, deployments): throws 404 NOT_FOUND naming
    /// <paramref name="what"/> unless the caller may see the container; once the container is deleted, they are not found either.
    /// </summary>
    public async Task EnsureVisibleAsync(Caller caller, Guid containerId, string what, CancellationToken cancellationToken)
    {
        try
        {
            await GetAsync(caller, containerId.ToString(), cancellationToken).ConfigureAwait(false);
        }
        catch (BerthException e) when (e.Error == BerthError.ContainerNotFound)
        {
            throw BerthException.NotFound(what);
        }
    }

    /// <summary>Changes configuration without touching the running replicas; the record shows the change as pending.</summary>
    public async Task<Container> UpdateAsync(
        Caller caller, string idOrHostname, UpdateContainerRequest request, long? expectedVersion, CancellationToken cancellationToken)
    {
        ContainerValidation.ValidateUpdate(request);
        var container = await GetAsync(caller, idOrHostname, cancellationToken).ConfigureAwait(false);
        using var held = await locks.AcquireAsync(container.Id, cancellationToken).ConfigureAwait(false);
        var current = await store.FindAsync(container.Id, cancellationToken).ConfigureAwait(false)
            ?? throw BerthException.ContainerNotFound();
        Preconditions.CheckVersion(expectedVersion, current);
        if (current.State == ContainerState.Expired)
        {
            ContainerStateMachine.EnsureAllowed(current.State, ContainerOperation.Deploy);
        }
        if (current.State == ContainerState.Deleting)
        {
            throw new BerthException(BerthError.OperationStateConflict, "Container is being deleted");
        }
        var desired = request.ApplyTo(current.DesiredConfig);
        ContainerValidation.ValidateConfig(desired);
        if (desired.SameAs(current.DesiredConfig))
        {
            return current;
        }
        using (await domains.HoldAsync(cancellationToken).ConfigureAwait(false))
        {
            await domains.EnsureFreeAsync(current.Id, desired.Domains, cancellationToken).ConfigureAwait(false);
            // A change back to what runs is no change to deploy.
            var pending = desired.SameAs(current.Config) ? null : desired;
            return await executor.SaveAsync(current, current with { Pending = pending }, null).ConfigureAwait(false);
        }
    }

    public async Task<Container> OperateAsync(
        Caller caller, string idOrHostname, ContainerOperation operation, TimeSpan? grace, long? expectedVersion,
        CancellationToken cancellationToken)
    {
        var container = await GetAsync(caller, idOrHostname, cancellationToken).ConfigureAwait(false);
        if (container.State == ContainerState.Deploying && operation is ContainerOperation.Stop or ContainerOperation.ForceStop or ContainerOperation.Remove)
        {
            // The deploy rolls back first, so the operation acts on replicas nothing else is changing.
            await deploys.CancelRunningAsync(container.Id, caller.Actor, cancellationToken).ConfigureAwait(false);
        }
        return await executor.OperateAsync(container.Id, operation, caller.Actor, grace, expectedVersion, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Stops and removes the replicas and their volumes, then the record (its status log stays).</summary>
    public Task<Container> DeleteAsync(Caller caller, string idOrHostname, long? expectedVersion, CancellationToken cancellationToken) =>
        OperateAsync(caller, idOrHostname, ContainerOperation.Remove, null, expectedVersion, cancellationToken);

    public async Task<Page<StatusTransition>> ListStatusLogsAsync(
        Caller caller, string idOrHostname, TransitionQuery query, CancellationToken cancellationToken)
    {
        var container = await GetAsync(caller, idOrHostname, cancellationToken).ConfigureAwait(false);
        return await store.ListTransitionsAsync(container.Id, query, cancellationToken).ConfigureAwait(false);
    }

    private static bool CanSee(Caller caller, Container container) =>
        caller.IsAdmin || container.UserId == caller.UserId;
}
