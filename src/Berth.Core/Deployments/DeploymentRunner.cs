using System.Collections.Concurrent;
using Berth.Core.Containers;
using Berth.Core.Engine;
using Berth.Core.Ingress;
using Berth.Core.Lifecycle;
using Berth.Core.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Berth.Core.Deployments;

/// <summary>Lets other services end a container's running deploy before they act on it.</summary>
public interface IDeploymentControl
{
    /// <summary>Cancels the container's running deploy, if any, and waits until it has rolled back.</summary>
    Task CancelRunningAsync(Guid containerId, string actor, CancellationToken cancellationToken);
}

/// <summary>
/// Rolls deployments out on a Docker host, replica by replica: start a new replica, wait until it is
/// healthy, route traffic to it, drain the old replica of that index and stop it. Any failure, a
/// cancel, or a restart of Berth mid-way restores the previous configuration the same way, from what
/// the engine shows (so it works as well after a crash as in the middle of a run), and records why.
/// </summary>
public sealed partial class DeploymentRunner(
    IContainerStore store,
    IDeploymentStore deployments,
    IContainerEngine engine,
    ReplicaHealthGate health,
    IIngressRoutes routes,
    LifecycleExecutor executor,
    ContainerLocks locks,
    IOptions<LifecycleOptions> options,
    TimeProvider time,
    ILogger<DeploymentRunner> logger) : IDeploymentControl
{
    /// <summary>How long in-flight requests get to finish on a replica that left the routing table.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<Guid, Run> _runs = new();
    private readonly CancellationTokenSource _stopping = new();

    public bool IsRunning(Guid containerId) => _runs.ContainsKey(containerId);

    /// <summary>Starts rolling <paramref name="deployment"/> out in the background (the container is already <c>deploying</c>).</summary>
    public void Start(Deployment deployment) =>
        Begin(deployment, run => ExecuteAsync(run));

    /// <summary>Restores, in the background, deployments a restart of Berth left <c>in_progress</c>.</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        foreach (var deployment in await deployments.ListInProgressAsync(cancellationToken).ConfigureAwait(false))
        {
            if (IsRunning(deployment.ContainerId))
            {
                continue;
            }
            LogRecovering(logger, deployment.Id);
            Begin(deployment, run => EndAsync(run, DeploymentStatus.RolledBack,
                "Berth restarted during the deploy; the previous version was restored", restore: true));
        }
    }

    public async Task CancelRunningAsync(Guid containerId, string actor, CancellationToken cancellationToken)
    {
        if (_runs.TryGetValue(containerId, out var run))
        {
            run.CanceledBy ??= actor;
            await run.Cancel.CancelAsync().ConfigureAwait(false);
            await run.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Cancels the deployment if it is running here; false when no run of it exists.</summary>
    public async Task<bool> CancelAsync(Deployment deployment, string actor, CancellationToken cancellationToken)
    {
        if (!_runs.TryGetValue(deployment.ContainerId, out var run) || run.Deployment.Id != deployment.Id)
        {
            return false;
        }
        await CancelRunningAsync(deployment.ContainerId, actor, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>For shutdown: runs stop where they are and stay <c>in_progress</c>; the next start restores them.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_runs.Values.Select(r => r.Completion)).ConfigureAwait(false);
    }

    private void Begin(Deployment deployment, Func<Run, Task> body)
    {
        var run = new Run(deployment, CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token));
        if (!_runs.TryAdd(deployment.ContainerId, run))
        {
            run.Cancel.Dispose();
            throw new InvalidOperationException($"Container {deployment.ContainerId} already has a deploy running");
        }
        run.Completion = Task.Run(async () =>
        {
            try
            {
                await body(run).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                LogLeftForRestart(logger, deployment.Id);
            }
            catch (Exception e)
            {
                LogRunFailed(logger, deployment.Id, e);
            }
            finally
            {
                _runs.TryRemove(new KeyValuePair<Guid, Run>(deployment.ContainerId, run));
                run.Cancel.Dispose();
            }
        });
    }

    private async Task ExecuteAsync(Run run)
    {
        try
        {
            await RollOutAsync(run).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (run.Cancel.IsCancellationRequested && !_stopping.IsCancellationRequested)
        {
            await EndAsync(run, DeploymentStatus.Canceled, $"Canceled by {run.CanceledBy}; the previous version was restored", restore: true)
                .ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (e is DeploymentFailedException or EngineUnavailableException)
        {
            await EndAsync(run, DeploymentStatus.RolledBack, $"{e.Message}; rolled back to the previous version", restore: true)
                .ConfigureAwait(false);
            return;
        }
        await EndAsync(run, DeploymentStatus.Succeeded, null, restore: false).ConfigureAwait(false);
    }

    private async Task RollOutAsync(Run run)
    {
        var ct = run.Cancel.Token;
        var deployment = run.Deployment;
        var target = deployment.Target;
        var container = await FindAsync(deployment.ContainerId).ConfigureAwait(false);
        // A rollback runs the exact content it recorded, even if the tag has moved since.
        var image = deployment.RollbackOf is not null && deployment.ImageDigest is { } digest ? digest : target.Image;
        var spec = WorkloadSpec.For(container, target with { Image = image }, deployment.Generation);

        var observed = await engine.ObserveAsync(container.Id, ct).ConfigureAwait(false);
        var old = observed.Replicas.Where(r => r.Generation != deployment.Generation).ToList();
        var serving = old.Where(r => r.State == ReplicaState.Running).Select(Backend).OfType<IngressBackend>().ToList();
        var domains = target.Domains.Union(container.Domains, StringComparer.Ordinal).ToList();
        await routes.PublishAsync(container.Id, domains, serving, ct).ConfigureAwait(false);

        var slots = Math.Max(target.Replicas, old.Count == 0 ? 0 : old.Max(r => r.Index) + 1);
        for (var index = 0; index < slots; index++)
        {
            ct.ThrowIfCancellationRequested();
            if (index < target.Replicas)
            {
                await StepAsync(run, $"Replica {index}: starting {target.Image}").ConfigureAwait(false);
                await StartHealthyAsync(spec, index, target.HealthCheck, serving, domains, ct).ConfigureAwait(false);
                await StepAsync(run, $"Replica {index}: healthy and taking traffic").ConfigureAwait(false);
            }
            foreach (var previous in old.Where(r => r.Index == index))
            {
                await RetireAsync(container.Id, previous, serving, domains).ConfigureAwait(false);
                await StepAsync(run, $"Replica {index}: previous version drained and stopped").ConfigureAwait(false);
            }
        }
        await routes.PublishAsync(container.Id, target.Domains, serving, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Records how the deployment ended. With <paramref name="restore"/>, first brings the replicas back to
    /// the previous configuration: every replica the deployment started is replaced by one of the
    /// previous version (or just removed where an old replica of its index still runs), and missing
    /// indexes are filled in. Replicas that never stopped serving keep serving throughout.
    /// </summary>
    private async Task EndAsync(Run run, DeploymentStatus status, string? reason, bool restore)
    {
        var deployment = run.Deployment;
        var container = await FindAsync(deployment.ContainerId).ConfigureAwait(false);
        var config = status == DeploymentStatus.Succeeded ? deployment.Target : deployment.Previous;
        var state = ContainerState.Running;
        string? stateReason = null;
        if (restore)
        {
            await StepAsync(run, reason ?? "Restoring the previous version").ConfigureAwait(false);
            try
            {
                container = await RestoreAsync(container, deployment).ConfigureAwait(false);
                var observed = await engine.ObserveAsync(container.Id, CancellationToken.None).ConfigureAwait(false);
                if (Verdicts.Judge(ContainerState.Running, observed, config.Replicas).Kind != VerdictKind.Confirmed)
                {
                    state = observed.Replicas.Any(r => r.State == ReplicaState.Running) ? ContainerState.Failed : ContainerState.Stopped;
                    stateReason = state == ContainerState.Failed ? $"After the rollback the engine shows {observed}" : null;
                }
            }
            catch (Exception e) when (e is DeploymentFailedException or EngineUnavailableException)
            {
                status = DeploymentStatus.Failed;
                reason = $"{reason}; restoring the previous version failed too: {e.Message}";
                state = ContainerState.Failed;
                stateReason = reason;
            }
        }

        var now = time.GetUtcNow();
        using (await locks.AcquireAsync(container.Id, CancellationToken.None).ConfigureAwait(false))
        {
            // Done with the replicas: from the moment the state says so, a new deploy may begin.
            _runs.TryRemove(new KeyValuePair<Guid, Run>(container.Id, run));
            var current = await FindAsync(container.Id).ConfigureAwait(false);
            var next = current.WithConfig(config) with
            {
                State = state,
                StateReason = stateReason,
                Pending = current.Pending is { } pending && !pending.SameAs(config) ? pending : null,
                LastDeployedAt = status == DeploymentStatus.Succeeded ? now : current.LastDeployedAt,
                ObservedAt = now,
            };
            var line = status == DeploymentStatus.Succeeded
                ? $"Deployment {Short(deployment.Id)} succeeded: {deployment.Target.Image}"
                : $"Deployment {Short(deployment.Id)} {status.ToWire()}: {reason}";
            await executor.SaveAsync(current, next,
                Transitions.Create(current.Id, current.State, state, ContainerOperation.Deploy.ToWire(), Actor.System, line, time)).ConfigureAwait(false);
        }
        run.Deployment = run.Deployment with { Status = status, Reason = reason, FinishedAt = now };
        await StepAsync(run, status == DeploymentStatus.Succeeded ? "Deployment succeeded" : $"Deployment {status.ToWire()}").ConfigureAwait(false);
        LogFinished(logger, deployment.Id, status.ToWire());
    }

    private async Task<Container> RestoreAsync(Container container, Deployment deployment)
    {
        var previous = deployment.Previous;
        // Restored replicas get a generation of their own, so they can start next to the ones they replace.
        Container allocated;
        using (await locks.AcquireAsync(container.Id, CancellationToken.None).ConfigureAwait(false))
        {
            var current = await FindAsync(container.Id).ConfigureAwait(false);
            allocated = await executor.SaveAsync(current, current with { ReplicaGeneration = current.ReplicaGeneration + 1 }, null).ConfigureAwait(false);
        }
        var spec = WorkloadSpec.For(allocated, previous, allocated.ReplicaGeneration);
        var none = CancellationToken.None;
        var observed = await engine.ObserveAsync(container.Id, none).ConfigureAwait(false);
        var fresh = observed.Replicas.Where(r => r.Generation == deployment.Generation).OrderBy(r => r.Index).ToList();
        var kept = observed.Replicas.Where(r => r.Generation != deployment.Generation).ToList();
        var serving = observed.Replicas.Where(r => r.State == ReplicaState.Running).Select(Backend).OfType<IngressBackend>().ToList();
        var domains = previous.Domains.Union(deployment.Target.Domains, StringComparer.Ordinal).ToList();
        await routes.PublishAsync(container.Id, domains, serving, none).ConfigureAwait(false);

        foreach (var replica in fresh)
        {
            if (replica.Index < previous.Replicas && !kept.Any(k => k.Index == replica.Index))
            {
                kept.Add(await StartHealthyAsync(spec, replica.Index, previous.HealthCheck, serving, domains, none).ConfigureAwait(false));
            }
            await RetireAsync(container.Id, replica, serving, domains).ConfigureAwait(false);
        }
        for (var index = 0; index < previous.Replicas; index++)
        {
            if (!kept.Any(k => k.Index == index))
            {
                kept.Add(await StartHealthyAsync(spec, index, previous.HealthCheck, serving, domains, none).ConfigureAwait(false));
            }
        }
        await routes.PublishAsync(container.Id, previous.Domains, serving, none).ConfigureAwait(false);
        return allocated;
    }

    /// <summary>Starts one replica, waits until it is healthy, and routes traffic to it.</summary>
    private async Task<ReplicaObservation> StartHealthyAsync(
        WorkloadSpec spec, int index, HealthCheck? check, List<IngressBackend> serving, IReadOnlyList<string> domains,
        CancellationToken cancellationToken)
    {
        // Not cancelled half-way: the engine may finish a create the client gave up on, and a replica
        // that appears after a restore has looked would be left behind. Waiting for health is cancellable.
        var started = await engine.RunReplicaAsync(spec, index, CancellationToken.None).ConfigureAwait(false);
        await health.WaitHealthyAsync(spec.ContainerId, started, check, cancellationToken).ConfigureAwait(false);
        if (Backend(started) is { } backend)
        {
            serving.Add(backend);
            await routes.PublishAsync(spec.ContainerId, domains, serving, cancellationToken).ConfigureAwait(false);
        }
        return started;
    }

    /// <summary>Takes a replica out of the routing table, lets its in-flight requests finish, then stops and removes it.</summary>
    private async Task RetireAsync(Guid containerId, ReplicaObservation replica, List<IngressBackend> serving, IReadOnlyList<string> domains)
    {
        if (serving.RemoveAll(b => b.ReplicaId == replica.EngineId) > 0)
        {
            await routes.PublishAsync(containerId, domains, serving, CancellationToken.None).ConfigureAwait(false);
            await routes.DrainAsync(replica.EngineId, DrainTimeout, CancellationToken.None).ConfigureAwait(false);
        }
        await engine.RemoveReplicaAsync(containerId, replica.EngineId, options.Value.StopGracePeriod, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Adds a step to the deployment record (its start and end are also status-log lines, which <c>/api/v1/events</c> streams).</summary>
    private async Task StepAsync(Run run, string message)
    {
        var now = time.GetUtcNow();
        run.Deployment = run.Deployment with { Steps = [.. run.Deployment.Steps, new DeploymentStep(now, message)] };
        await deployments.UpdateAsync(run.Deployment, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task<Container> FindAsync(Guid containerId) =>
        await store.FindAsync(containerId, CancellationToken.None).ConfigureAwait(false)
        ?? throw new DeploymentFailedException("The container was deleted during the deploy");

    private static IngressBackend? Backend(ReplicaObservation replica) =>
        replica.HostPort is { } port ? new IngressBackend(replica.EngineId, port) : null;

    private static string Short(Guid id) => id.ToString("N")[^12..];

    private sealed class Run(Deployment deployment, CancellationTokenSource cancel)
    {
        public Deployment Deployment { get; set; } = deployment;

        public CancellationTokenSource Cancel { get; } = cancel;

        public Task Completion { get; set; } = Task.CompletedTask;

        public string? CanceledBy { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployment {DeploymentId} ended {Status}")]
    private static partial void LogFinished(ILogger logger, Guid deploymentId, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {DeploymentId} was in progress when Berth stopped; restoring the previous version")]
    private static partial void LogRecovering(ILogger logger, Guid deploymentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployment {DeploymentId} left in progress for the next start to restore")]
    private static partial void LogLeftForRestart(ILogger logger, Guid deploymentId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Deployment {DeploymentId} failed unexpectedly")]
    private static partial void LogRunFailed(ILogger logger, Guid deploymentId, Exception exception);
}
