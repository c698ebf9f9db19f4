using Berth.Core.Lifecycle;
using Berth.Core.Engine;
using Berth.Core.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Berth.Core.Logs;

/// <summary>
/// Copies every replica's output into Berth's log files as it is written. It reads each replica from
/// the moment the engine reports it started (its own event subscription) and, as a fallback, from a
/// periodic scan of every replica. A replica is read until its output ends (it stopped), and read
/// again from the last stored line's time when it starts again, so nothing is stored twice.
/// </summary>
public sealed partial class LogCollector(
    IContainerEngine engine,
    IContainerLogSource source,
    IContainerStore containers,
    LogHub hub,
    IOptions<LogsOptions> options,
    TimeProvider time,
    ILogger<LogCollector> logger)
{
    // Actions after which a replica may have new output to read.
    private static readonly HashSet<string> s_outputActions = new(["start", "restart", "unpause", "die"], StringComparer.Ordinal);

    private readonly LogsOptions _options = options.Value;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Pump> _pumps = new(StringComparer.Ordinal);
    private readonly HashSet<string> _drained = new(StringComparer.Ordinal);
    private readonly List<Task> _running = [];
    private IReadOnlySet<(Guid, string)> _present = new HashSet<(Guid, string)>();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(WatchLoopAsync(cancellationToken), ScanLoopAsync(cancellationToken), SweepLoopAsync(cancellationToken))
            .ConfigureAwait(false);
        Task[] pumps;
        lock (_gate)
        {
            pumps = [.. _running];
        }
        // The pumps stop on the same token; waiting closes their files before the host goes away.
        await Task.WhenAll(pumps).ConfigureAwait(false);
    }

    /// <summary>Reads every replica that may have output not yet stored. Public so that tests can drive it.</summary>
    public async Task ScanAsync(CancellationToken cancellationToken)
    {
        var observations = await engine.ObserveAllAsync(cancellationToken).ConfigureAwait(false);
        var present = new HashSet<(Guid, string)>();
        var engineIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var observation in observations)
        {
            Attach(observation, eager: false, cancellationToken);
            foreach (var replica in observation.Replicas)
            {
                present.Add((observation.ContainerId, LogStore.KeyOf(replica.Index, replica.EngineId)));
                engineIds.Add(replica.EngineId);
            }
        }
        lock (_gate)
        {
            _present = present;
            _drained.IntersectWith(engineIds);
        }
        // A follower of a deleted container would otherwise wait for lines that never come.
        foreach (var containerId in hub.Followed())
        {
            if (await containers.FindAsync(containerId, cancellationToken).ConfigureAwait(false) is null)
            {
                hub.Close(containerId);
            }
        }
    }

    /// <summary>Whether a replica's output is being read now.</summary>
    internal bool IsReading(string engineId)
    {
        lock (_gate)
        {
            return _pumps.ContainsKey(engineId);
        }
    }

    /// <summary>Deletes the logs of replicas gone for longer than the retention. Public so that tests can drive it.</summary>
    public int Sweep()
    {
        IReadOnlySet<(Guid, string)> present;
        lock (_gate)
        {
            present = _present;
        }
        var deleted = hub.Store.Sweep((containerId, key) => present.Contains((containerId, key)), time.GetUtcNow() - _options.Retention);
        if (deleted > 0)
        {
            LogSwept(logger, deleted);
        }
        return deleted;
    }

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
                    if (s_outputActions.Contains(engineEvent.Action))
                    {
                        var observation = await engine.ObserveAsync(engineEvent.ContainerId, cancellationToken).ConfigureAwait(false);
                        Attach(observation, eager: true, cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogWatchFailed(logger, ex.Message);
            }
            await Retry.DelayAsync(Retry.Backoff(++failures), time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ScanLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ScanAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogScanFailed(logger, ex.Message);
            }
            await Retry.DelayAsync(_options.ScanInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SweepLoopAsync(CancellationToken cancellationToken)
    {
        // After the first scan has said which replicas exist: before it, every file looks orphaned.
        await Retry.DelayAsync(_options.ScanInterval + _options.ScanInterval, time, cancellationToken).ConfigureAwait(false);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                Sweep();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogSweepFailed(logger, ex.Message);
            }
            await Retry.DelayAsync(_options.SweepInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts reading each replica not being read that may have new output: when <paramref name="eager"/>
    /// (an event said it started or stopped) every one, else those running or never read since start-up.
    /// A replica being read is marked to be read again when its current output ends.
    /// </summary>
    private void Attach(WorkloadObservation observation, bool eager, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var replica in observation.Replicas)
            {
                if (_pumps.TryGetValue(replica.EngineId, out var pump))
                {
                    pump.Again |= eager;
                    continue;
                }
                var running = replica.State is ReplicaState.Running or ReplicaState.Paused or ReplicaState.Restarting;
                if (!eager && !running && _drained.Contains(replica.EngineId))
                {
                    continue;
                }
                pump = new Pump();
                _pumps[replica.EngineId] = pump;
                var task = PumpAsync(observation.ContainerId, replica, pump, cancellationToken);
                _running.Add(task);
                _ = task.ContinueWith(t =>
                {
                    lock (_gate)
                    {
                        _running.Remove(t);
                    }
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private async Task PumpAsync(Guid containerId, ReplicaObservation replica, Pump pump, CancellationToken cancellationToken)
    {
        // Off the caller's lock and thread: opening the writer reads the end of the replica's files.
        await Task.Yield();
        try
        {
            if (await containers.FindAsync(containerId, cancellationToken).ConfigureAwait(false) is { } record)
            {
                hub.Store.WriteOwner(containerId, record.UserId);
            }
            using var writer = hub.Store.OpenWriter(containerId, replica.Index, replica.EngineId);
            while (true)
            {
                writer.Resume();
                await foreach (var line in source.FollowAsync(replica.EngineId, writer.LastTime, cancellationToken).ConfigureAwait(false))
                {
                    if (writer.IsNew(line))
                    {
                        hub.Append(containerId, writer, line);
                    }
                }
                lock (_gate)
                {
                    if (!pump.Again || cancellationToken.IsCancellationRequested)
                    {
                        _pumps.Remove(replica.EngineId);
                        _drained.Add(replica.EngineId);
                        return;
                    }
                    pump.Again = false;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The next scan tries again (a replica removed meanwhile is simply not seen any more).
            LogPumpFailed(logger, replica.Index, LogStore.KeyOf(replica.Index, replica.EngineId), containerId, ex.Message);
        }
        lock (_gate)
        {
            _pumps.Remove(replica.EngineId);
        }
    }



    private sealed class Pump
    {
        public bool Again { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Log collector lost the engine event stream: {Problem}; resubscribing")]
    private static partial void LogWatchFailed(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Log collector could not list the replicas: {Problem}")]
    private static partial void LogScanFailed(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the output of replica {Replica} ({Key}) of container {ContainerId} failed: {Problem}")]
    private static partial void LogPumpFailed(ILogger logger, int replica, string key, Guid containerId, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} log files past their retention")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting old log files failed: {Problem}")]
    private static partial void LogSweepFailed(ILogger logger, string problem);
}
