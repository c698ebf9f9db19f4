using Berth.Core.Accounts;
using Berth.Core.Deployments;
using Berth.Core.Errors;
using Berth.Core.Lifecycle;
using Berth.Core.Persistence;
using Berth.Core.Projects;
using Microsoft.Extensions.Options;

namespace Berth.Core.Containers;

/// <summary>Filters a caller may put on the container list (already parsed and validated).</summary>
public sealed record ContainerListFilter(Guid? ProjectId, string? EnvironmentId, ContainerState? State, int PageNumber, int Limit);

/// <summary>
/// The one application service behind every way into containers (native API, dialects, CLI). It
/// checks visibility here, not in the endpoints: a container the caller may not see does not exist
/// for them (404 CONTAINER_NOT_FOUND), exactly like one that does not exist at all. One it may see but
/// whose project role does not grant the operation is 403 INSUFFICIENT_PERMISSIONS.
/// </summary>
public sealed class ContainerService(
    IContainerStore store,
    LifecycleExecutor executor,
    ContainerLocks locks,
    DomainClaims domains,
    IDeploymentControl deploys,
    IOptions<BerthOptions> options,
    TimeProvider time,
    ProjectAccess access)
{
    private readonly BerthOptions _options = options.Value;

    /// <summary>The caller's own containers and those of the projects the caller is a member of (admins: all).</summary>
    public async Task<Page<Container>> ListAsync(Caller caller, ContainerListFilter filter, CancellationToken cancellationToken)
    {
        var projects = await access.VisibleProjectsAsync(caller, cancellationToken).ConfigureAwait(false);
        return await store.ListAsync(new ContainerQuery(
            caller.IsAdmin ? null : caller.UserId,
            filter.ProjectId, filter.EnvironmentId, filter.State, filter.PageNumber, filter.Limit, projects), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Stores the container as <c>provisioning</c> and boots it in the background.</summary>
    public async Task<Container> CreateAsync(Caller caller, CreateContainerRequest request, CancellationToken cancellationToken)
    {
        var valid = ContainerValidation.ValidateCreate(request, _options.DefaultImage);
        if (request.ProjectId is { } projectId)
        {
            // Not a member: the project does not exist for the caller.
            var granted = await access.InProjectAsync(caller, projectId, cancellationToken).ConfigureAwait(false)
                ?? throw BerthException.NotFound("Project");
            if (!await access.ProjectExistsAsync(projectId, cancellationToken).ConfigureAwait(false))
            {
                throw BerthException.NotFound("Project");
            }
            if (!granted.Contains(Permission.Create))
            {
                throw ProjectAccess.Denied(Permission.Create);
            }
        }
        var now = time.GetUtcNow();
        var container = new Container
        {
            Id = Guid.CreateVersion7(now),
            UserId = caller.UserId,
            ProjectId = request.ProjectId,
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

    /// <summary>The container addressed by id or hostname, if the caller may see it and has the <c>view</c> permission.</summary>
    public Task<Container> GetAsync(Caller caller, string idOrHostname, CancellationToken cancellationToken) =>
        GetAsync(caller, idOrHostname, Permission.View, cancellationToken);

    /// <summary>
    /// The container addressed by id or hostname: 404 CONTAINER_NOT_FOUND unless the caller may see it,
    /// 403 INSUFFICIENT_PERMISSIONS unless the caller also holds <paramref name="permission"/> on it.
    /// </summary>
    public async Task<Container> GetAsync(Caller caller, string idOrHostname, Permission permission, CancellationToken cancellationToken)
    {
        var (container, granted) = await FindVisibleAsync(caller, idOrHostname, cancellationToken).ConfigureAwait(false);
        if (!granted.Contains(permission))
        {
            throw ProjectAccess.Denied(permission);
        }
        return container;
    }

    private async Task<(Container Container, IReadOnlySet<Permission> Granted)> FindVisibleAsync(
        Caller caller, string idOrHostname, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(idOrHostname, out var id))
        {
            var container = await store.FindAsync(id, cancellationToken).ConfigureAwait(false);
            var granted = container is null ? null : await access.OnContainerAsync(caller, container, cancellationToken).ConfigureAwait(false);
            return granted is not null ? (container!, granted) : throw BerthException.ContainerNotFound();
        }
        if (!ContainerValidation.IsDnsLabel(idOrHostname))
        {
            throw new BerthException(BerthError.InvalidIdFormat,
                "Invalid ID format: a container is addressed by its UUID or its hostname");
        }
        var visible = new List<(Container, IReadOnlySet<Permission>)>();
        foreach (var candidate in await store.FindByHostnameAsync(idOrHostname, cancellationToken).ConfigureAwait(false))
        {
            if (await access.OnContainerAsync(caller, candidate, cancellationToken).ConfigureAwait(false) is { } granted)
            {
                visible.Add((candidate, granted));
            }
        }
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
    public Task EnsureVisibleAsync(Caller caller, Guid containerId, string what, CancellationToken cancellationToken) =>
        EnsureAllowedAsync(caller, containerId, what, Permission.View, cancellationToken);

    /// <summary>As <see cref="EnsureVisibleAsync"/>, then 403 INSUFFICIENT_PERMISSIONS unless the caller holds <paramref name="permission"/>.</summary>
    public async Task EnsureAllowedAsync(Caller caller, Guid containerId, string what, Permission permission, CancellationToken cancellationToken)
    {
        try
        {
            await GetAsync(caller, containerId.ToString(), permission, cancellationToken).ConfigureAwait(false);
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
        var container = await GetAsync(caller, idOrHostname, Permission.Update, cancellationToken).ConfigureAwait(false);
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
        var container = await GetAsync(caller, idOrHostname, PermissionFor(operation), cancellationToken).ConfigureAwait(false);
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

    /// <summary>The permission an operation needs in the container's project.</summary>
    public static Permission PermissionFor(ContainerOperation operation) => operation switch
    {
        ContainerOperation.Start => Permission.Start,
        ContainerOperation.Stop or ContainerOperation.ForceStop => Permission.Stop,
        ContainerOperation.Restart => Permission.Restart,
        ContainerOperation.Pause or ContainerOperation.Resume => Permission.Pause,
        ContainerOperation.Deploy => Permission.Deploy,
        ContainerOperation.Remove => Permission.Remove,
        ContainerOperation.Create => Permission.Create,
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
    };
}
