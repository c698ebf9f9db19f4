using Berth.Core.Containers;
using Berth.Core.Engine;
using Berth.Core.Errors;
using Berth.Core.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Berth.Core.Lifecycle;

/// <summary>
/// Runs lifecycle operations the one way DESIGN.md asks: take the container's lock, record the intent,
/// act on the engine, wait for the engine to confirm (its events first, polling as the fallback), and
/// write the confirmed state together with its status-log line. What is not confirmed in time is
/// <c>failed</c>, with the reason.
/// </summary>
public sealed partial class LifecycleExecutor(
    IContainerStore store,
    IContainerEngine engine,
    EngineEventHub events,
    ContainerLocks locks,
    IOptions<LifecycleOptions> options,
    TimeProvider time,
    ILogger<LifecycleExecutor> logger)
{
    private readonly LifecycleOptions _options = options.Value;
    private readonly Lock _backgroundGate = new();
    private readonly HashSet<Task> _background = [];

    /// <summary>Runs <paramref name="operation"/> and returns the record with the state the engine confirmed.</summary>
    public async Task<Container> OperateAsync(
        Guid containerId, ContainerOperation operation, string actor, TimeSpan? grace, long? expectedVersion,
        CancellationToken cancellationToken)
    {
        if (operation == ContainerOperation.Deploy)
        {
            // Refuse before recording an intent that no engine action here could ever confirm.
            throw new ArgumentOutOfRangeException(nameof(operation), operation, "a deploy is a rolling update, not a lifecycle operation");
        }
        using var held = await locks.AcquireAsync(containerId, cancellationToken).ConfigureAwait(false);
        var current = await store.FindAsync(containerId, cancellationToken).ConfigureAwait(false)
            ?? throw BerthException.ContainerNotFound();
        Preconditions.CheckVersion(expectedVersion, current);
        ContainerStateMachine.EnsureAllowed(current.State, operation);

        if (operation == ContainerOperation.Remove)
        {
            try
            {
                await engine.PingAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (EngineUnavailableException ex)
            {
                // Nothing was recorded yet: the container keeps its state and the caller may retry.
                throw BerthException.EngineUnavailable(ex.Message, ex);
            }
            var deleting = await SaveAsync(current, current with { State = ContainerState.Deleting, PendingOperation = operation },
                Transition(current, ContainerState.Deleting, operation, actor, null)).ConfigureAwait(false);
            await RemoveLockedAsync(deleting, actor).ConfigureAwait(false);
            return deleting;
        }

        // From here on the intent is recorded: finish the operation even if the caller goes away.
        var intent = await SaveAsync(current, current with { PendingOperation = operation }, null).ConfigureAwait(false);
        using var listener = events.Listen(containerId);
        WorkloadObservation observed;
        try
        {
            observed = await ActAsync(intent, operation, grace ?? _options.StopGracePeriod).ConfigureAwait(false);
        }
        catch (EngineUnavailableException ex)
        {
            // Nothing was confirmed to change: forget the intent so the caller can simply retry.
            await SaveAsync(intent, intent with { PendingOperation = null }, null).ConfigureAwait(false);
            throw BerthException.EngineUnavailable(ex.Message, ex);
        }
        return await ConfirmAsync(intent, operation, observed, listener, actor).ConfigureAwait(false);
    }

    /// <summary>Creates and starts a new container's replicas without making the caller wait.</summary>
    public void BootInBackground(Guid containerId, string actor) =>
        Track(Task.Run(() => BootAsync(containerId, actor)));

    /// <summary>Finishes a delete that was cut short, in the background.</summary>
    public void FinishRemoveInBackground(Guid containerId) =>
        Track(Task.Run(async () =>
        {
            using var held = await locks.AcquireAsync(containerId, CancellationToken.None).ConfigureAwait(false);
            if (await store.FindAsync(containerId, CancellationToken.None).ConfigureAwait(false) is { } record)
            {
                await RemoveLockedAsync(record, Actor.System).ConfigureAwait(false);
            }
        }));

    /// <summary>Waits for the background work started so far (for shutdown and tests).</summary>
    public Task DrainAsync()
    {
        lock (_backgroundGate)
        {
            return Task.WhenAll(_background);
        }
    }

    private async Task BootAsync(Guid containerId, string actor)
    {
        using var held = await locks.AcquireAsync(containerId, CancellationToken.None).ConfigureAwait(false);
        var current = await store.FindAsync(containerId, CancellationToken.None).ConfigureAwait(false);
        if (current is not { State: ContainerState.Provisioning })
        {
            return;
        }
        using var listener = events.Listen(containerId);
        WorkloadObservation observed;
        try
        {
            await engine.ApplyAsync(WorkloadSpec.For(current), CancellationToken.None).ConfigureAwait(false);
            observed = await engine.StartAsync(containerId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (EngineUnavailableException ex)
        {
            LogBootFailed(logger, Short(containerId), ex.Message);
            await FinishAsync(current, ContainerOperation.Create, ContainerState.Failed, ex.Message, Actor.System).ConfigureAwait(false);
            return;
        }
        await ConfirmAsync(current, ContainerOperation.Create, observed, listener, actor).ConfigureAwait(false);
    }

    private async Task<WorkloadObservation> ActAsync(Container container, ContainerOperation operation, TimeSpan grace)
    {
        var id = container.Id;
        var none = CancellationToken.None;
        switch (operation)
        {
            case ContainerOperation.Start:
                return await StartReplicasAsync(container).ConfigureAwait(false);
            case ContainerOperation.Stop:
                return await engine.StopAsync(id, grace, none).ConfigureAwait(false);
            case ContainerOperation.ForceStop:
                return await engine.KillAsync(id, none).ConfigureAwait(false);
            case ContainerOperation.Restart:
                await engine.StopAsync(id, grace, none).ConfigureAwait(false);
                return await StartReplicasAsync(container).ConfigureAwait(false);
            case ContainerOperation.Pause:
                return await engine.PauseAsync(id, none).ConfigureAwait(false);
            case ContainerOperation.Resume:
                return await engine.UnpauseAsync(id, none).ConfigureAwait(false);
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation, "not an engine action");
        }
    }

    /// <summary>Starts the replicas, creating any that went missing from the engine first.</summary>
    private async Task<WorkloadObservation> StartReplicasAsync(Container container)
    {
        var observed = await engine.StartAsync(container.Id, CancellationToken.None).ConfigureAwait(false);
        if (observed.Replicas.Count == container.Replicas)
        {
            return observed;
        }
        await engine.ApplyAsync(WorkloadSpec.For(container), CancellationToken.None).ConfigureAwait(false);
        return await engine.StartAsync(container.Id, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task<Container> ConfirmAsync(
        Container intent, ContainerOperation operation, WorkloadObservation observed, EngineListener listener, string actor)
    {
        var target = ContainerStateMachine.TargetOf(operation);
        var deadline = time.GetUtcNow() + _options.ConfirmTimeout;
        while (true)
        {
            var verdict = Verdicts.Judge(target, observed, intent.Replicas);
            switch (verdict.Kind)
            {
                case VerdictKind.Confirmed:
                    return await FinishAsync(intent, operation, target, null, actor).ConfigureAwait(false);
                case VerdictKind.Failed:
                    return await FinishAsync(intent, operation, ContainerState.Failed, verdict.Reason, actor).ConfigureAwait(false);
            }

            var remaining = deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                var reason = $"The engine did not confirm '{target.ToWire()}' within {_options.ConfirmTimeout.TotalSeconds:0} s; it shows {observed}";
                return await FinishAsync(intent, operation, ContainerState.Failed, reason, actor).ConfigureAwait(false);
            }
            await listener.WaitAsync(Min(remaining, _options.ConfirmPollInterval), time, CancellationToken.None).ConfigureAwait(false);
            try
            {
                observed = await engine.ObserveAsync(intent.Id, CancellationToken.None).ConfigureAwait(false);
            }
            catch (EngineUnavailableException ex)
            {
                // Keep waiting: the engine may answer again before the window closes.
                LogObserveFailed(logger, Short(intent.Id), ex.Message);
            }
        }
    }

    private async Task<Container> FinishAsync(
        Container intent, ContainerOperation operation, ContainerState state, string? reason, string actor)
    {
        var now = time.GetUtcNow();
        var final = intent with
        {
            State = state,
            StateReason = reason,
            PendingOperation = null,
            ObservedAt = now,
        };
        var saved = await SaveAsync(intent, final, Transition(intent, state, operation, actor, reason)).ConfigureAwait(false);
        LogFinished(logger, Short(intent.Id), operation.ToWire(), state.ToWire());
        return saved;
    }

    private async Task RemoveLockedAsync(Container deleting, string actor)
    {
        try
        {
            await engine.RemoveAsync(deleting.Id, CancellationToken.None).ConfigureAwait(false);
        }
        catch (EngineUnavailableException ex)
        {
            // The record stays 'deleting'; the reconciler finishes the removal when the engine answers.
            throw BerthException.EngineUnavailable(
                $"{ex.Message}. The container is marked for deletion and will be removed when the engine answers again.", ex);
        }
        await store.DeleteAsync(deleting.Id,
            Transition(deleting, ContainerState.Deleting, ContainerOperation.Remove, actor, "Replicas and volumes removed; record deleted"),
            CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="next"/> over <paramref name="current"/>; the lock makes a lost race a bug, not a case.</summary>
    internal async Task<Container> SaveAsync(Container current, Container next, StatusTransition? transition)
    {
        var saved = next with { Version = current.Version + 1, UpdatedAt = time.GetUtcNow() };
        if (!await store.TryUpdateAsync(saved, current.Version, transition, CancellationToken.None).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"Container {current.Id} changed while its lock was held");
        }
        return saved;
    }

    internal StatusTransition Transition(Container from, ContainerState to, ContainerOperation operation, string actor, string? reason) =>
        Transitions.Create(from.Id, from.State, to, operation.ToWire(), actor, reason, time);

    private void Track(Task task)
    {
        lock (_backgroundGate)
        {
            _background.Add(task);
        }
        task.ContinueWith(t =>
        {
            lock (_backgroundGate)
            {
                _background.Remove(t);
            }
            if (t.Exception is { } ex)
            {
                LogBackgroundFailed(logger, ex.GetBaseException());
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    internal static string Short(Guid id) => id.ToString("N")[^12..];

    [LoggerMessage(Level = LogLevel.Debug, Message = "Container {ContainerId}: {Operation} confirmed as {State}")]
    private static partial void LogFinished(ILogger logger, string containerId, string operation, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container {ContainerId}: could not create its replicas: {Problem}")]
    private static partial void LogBootFailed(ILogger logger, string containerId, string problem);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Container {ContainerId}: observing failed while confirming: {Problem}")]
    private static partial void LogObserveFailed(ILogger logger, string containerId, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "A background lifecycle task failed")]
    private static partial void LogBackgroundFailed(ILogger logger, Exception exception);
}
