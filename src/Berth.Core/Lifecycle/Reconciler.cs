using Berth.Core.Containers;
using Berth.Core.Engine;
using Berth.Core.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Berth.Core.Lifecycle;

/// <summary>
/// Keeps the records true to the engine: one event subscription reconciles a container the moment the
/// engine reports a change, and a periodic full resync (level-triggered) repairs anything missed,
/// finishes operations a restart cut short, and removes replicas no record owns.
/// </summary>
public sealed partial class Reconciler(
    IContainerStore store,
    IContainerEngine engine,
    LifecycleExecutor executor,
    EngineEventHub events,
    EngineStatus status,
    ContainerLocks locks,
    IOptions<LifecycleOptions> options,
    TimeProvider time,
    ILogger<Reconciler> logger)
{
    // Engine actions that can change a replica's state; exec and attach events cannot.
    private static readonly HashSet<string> s_stateActions =
        new(["start", "die", "stop", "kill", "pause", "unpause", "destroy", "oom", "restart"], StringComparer.Ordinal);
    private readonly LifecycleOptions _options = options.Value;

    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(WatchLoopAsync(cancellationToken), ResyncLoopAsync(cancellationToken));

    private async Task WatchLoopAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var engineEvent in engine.WatchAsync(cancellationToken).ConfigureAwait(false))
                {
                    failures = 0;
                    status.Connected();
                    events.Publish(engineEvent);
                    if (s_stateActions.Contains(engineEvent.Action))
                    {
                        await ReconcileAsync(engineEvent.ContainerId, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                status.Disconnected(ex.Message);
                LogWatchFailed(logger, ex.Message);
            }
            await Retry.DelayAsync(Retry.Backoff(++failures), time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ResyncLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ResyncAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                status.Disconnected(ex.Message);
                LogResyncFailed(logger, ex.Message);
            }
            await Retry.DelayAsync(_options.ResyncInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Compares every record with the engine once. Public so that tests can drive it.</summary>
    public async Task ResyncAsync(CancellationToken cancellationToken)
    {
        // Observe first, then read the records: a container created in between has a record but no
        // replicas yet, and is held by its boot; the reverse order could take it for an orphan.
        var observed = (await engine.ObserveAllAsync(cancellationToken).ConfigureAwait(false))
            .ToDictionary(o => o.ContainerId);
        status.Connected();
        var records = await store.ListLiveAsync(cancellationToken).ConfigureAwait(false);
        foreach (var record in records)
        {
            var observation = observed.GetValueOrDefault(record.Id) ?? WorkloadObservation.Missing(record.Id);
            observed.Remove(record.Id);
            if (ReconcileDecisions.Decide(record, observation).Kind != DecisionKind.None)
            {
                await ReconcileAsync(record.Id, cancellationToken).ConfigureAwait(false);
            }
        }
        foreach (var orphan in observed.Keys)
        {
            await RemoveOrphanAsync(orphan, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Brings one record in line with the engine, unless an operation holds it (it will confirm itself).</summary>
    private async Task ReconcileAsync(Guid containerId, CancellationToken cancellationToken)
    {
        Decision decision;
        Container? record;
        using (var held = locks.TryAcquire(containerId))
        {
            if (held is null)
            {
                return;
            }
            record = await store.FindAsync(containerId, cancellationToken).ConfigureAwait(false);
            if (record is null)
            {
                // Replicas without a record are the resync's to remove, after a second look.
                return;
            }
            // Look again under the lock: an earlier observation may predate an operation that just finished.
            var observed = await engine.ObserveAsync(containerId, cancellationToken).ConfigureAwait(false);
            decision = ReconcileDecisions.Decide(record, observed);
            if (decision.Kind == DecisionKind.Transition)
            {
                var to = decision.To!.Value;
                var saved = record with
                {
                    State = to,
                    StateReason = decision.Reason,
                    PendingOperation = null,
                    ObservedAt = time.GetUtcNow(),
                };
                await executor.SaveAsync(record, saved,
                    Transitions.Create(record.Id, record.State, to, "reconcile", Actor.System, decision.Reason, time)).ConfigureAwait(false);
                LogTransition(logger, LifecycleExecutor.Short(containerId), record.State.ToWire(), to.ToWire(), decision.Reason ?? "");
                return;
            }
        }

        // These take the lock themselves and may run for a while: do not block the event loop.
        switch (decision.Kind)
        {
            case DecisionKind.Boot:
                executor.BootInBackground(containerId, Actor.System);
                break;
            case DecisionKind.FinishRemove:
                executor.FinishRemoveInBackground(containerId);
                break;
        }
    }

    private async Task RemoveOrphanAsync(Guid containerId, CancellationToken cancellationToken)
    {
        using var held = locks.TryAcquire(containerId);
        if (held is not null && await store.FindAsync(containerId, cancellationToken).ConfigureAwait(false) is null)
        {
            await RemoveOrphanLockedAsync(containerId, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RemoveOrphanLockedAsync(Guid containerId, CancellationToken cancellationToken)
    {
        LogOrphan(logger, LifecycleExecutor.Short(containerId));
        await engine.RemoveAsync(containerId, cancellationToken).ConfigureAwait(false);
    }



    [LoggerMessage(Level = LogLevel.Warning, Message = "Engine event stream lost: {Problem}; resubscribing")]
    private static partial void LogWatchFailed(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resync with the engine failed: {Problem}")]
    private static partial void LogResyncFailed(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container {ContainerId}: {From} -> {To} observed ({Reason})")]
    private static partial void LogTransition(ILogger logger, string containerId, string from, string to, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removing replicas of {ContainerId}: no live record owns them")]
    private static partial void LogOrphan(ILogger logger, string containerId);
}
