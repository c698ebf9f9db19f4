using System.Collections.Concurrent;
using Berth.Core.Containers;
using Berth.Core.Engine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Berth.Core.Metrics;

/// <summary>
/// Reads every up replica of this instance once per <see cref="MetricsOptions.SampleInterval"/> and
/// keeps the latest reading, so that a metrics request is answered from memory instead of waiting on
/// the engine. CPU % is the change of the replica's CPU time between two consecutive readings against
/// the host's, which is why the engine's own two-reading answer (two seconds per call) is not needed.
/// </summary>
public sealed partial class MetricsSampler(
    IContainerStatsSource source,
    IOptions<MetricsOptions> options,
    TimeProvider time,
    ILogger<MetricsSampler> logger)
{
    private const long BytesPerMiB = 1024 * 1024;
    private const long BytesPerGiB = 1024 * 1024 * 1024;

    /// <summary>How long a container that stopped keeps the time it was last sampled (its <c>sampled_at</c>).</summary>
    internal static readonly TimeSpan LastSampledRetention = TimeSpan.FromHours(1);

    private static readonly IReadOnlyDictionary<string, long> s_noSizes = new Dictionary<string, long>(StringComparer.Ordinal);

    private readonly MetricsOptions _options = options.Value;

    // Replaced whole at the end of each pass: readers always see one consistent pass, without locks.
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private volatile IReadOnlyDictionary<string, long> _diskSizes = s_noSizes;

    // When each container was last seen up; answers sampled_at for a container that has since stopped.
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _lastSampled = new();

    /// <summary>When the latest pass finished, or null before the first.</summary>
    public DateTimeOffset? LastPassAt => _snapshot.PassAt;

    /// <summary>How long the latest pass took; the sampler's own cost.</summary>
    public TimeSpan LastPassDuration => _snapshot.Duration;

    /// <summary>The latest sample of every up replica.</summary>
    public IReadOnlyCollection<ReplicaSample> Samples => _snapshot.ByEngineId.Values;

    /// <summary>The writable-layer size of a replica as last read (0 before the first read).</summary>
    public long DiskUsedBytes(string engineId) => _diskSizes.GetValueOrDefault(engineId);

    /// <summary>Samples and refreshes disk usage until <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(
            LoopAsync(SampleAsync, _options.SampleInterval, "sample usage", cancellationToken),
            LoopAsync(RefreshDiskUsageAsync, _options.DiskSampleInterval, "read disk usage", cancellationToken));

    /// <summary>One pass over every up replica. Public so that tests can drive it.</summary>
    public async Task SampleAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var previous = _snapshot;
        var replicas = await source.ListRunningAsync(cancellationToken).ConfigureAwait(false);
        var samples = new ReplicaSample?[replicas.Count];

        await Parallel.ForEachAsync(
            Enumerable.Range(0, replicas.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxParallelism), CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var replica = replicas[i];
                ReplicaReading? reading;
                try
                {
                    reading = await source.ReadAsync(replica.EngineId, ct).ConfigureAwait(false);
                }
                catch (EngineUnavailableException e)
                {
                    // One replica the engine could not read (stopping as we asked, say) is left out of
                    // this pass; the others still count.
                    LogReadFailed(logger, replica.ContainerId, replica.Index, e.Message);
                    return;
                }
                if (reading is not { } current)
                {
                    return;
                }
                var cpu = previous.ByEngineId.TryGetValue(replica.EngineId, out var before)
                    ? CpuPercent(before.Reading, current, before.CpuPercent)
                    : 0;
                samples[i] = new ReplicaSample(replica.ContainerId, replica.Index, replica.EngineId, time.GetUtcNow(), cpu, current);
            }).ConfigureAwait(false);

        var now = time.GetUtcNow();
        var byEngineId = new Dictionary<string, ReplicaSample>(samples.Length, StringComparer.Ordinal);
        var byContainer = new Dictionary<Guid, List<ReplicaSample>>();
        foreach (var sample in samples)
        {
            if (sample is null)
            {
                continue;
            }
            byEngineId[sample.EngineId] = sample;
            if (!byContainer.TryGetValue(sample.ContainerId, out var list))
            {
                byContainer[sample.ContainerId] = list = new List<ReplicaSample>(1);
                _lastSampled[sample.ContainerId] = now;
            }
            list.Add(sample);
        }
        foreach (var (containerId, at) in _lastSampled)
        {
            if (now - at > LastSampledRetention)
            {
                _lastSampled.TryRemove(containerId, out _);
            }
        }
        _snapshot = new Snapshot(byEngineId, byContainer, now, time.GetElapsedTime(started));
    }

    /// <summary>Reads the writable-layer size of every up replica. Public so that tests can drive it.</summary>
    public async Task RefreshDiskUsageAsync(CancellationToken cancellationToken) =>
        _diskSizes = await source.ReadWritableLayerSizesAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The container's usage from the latest samples. A container that is not up (stopped, failed,
    /// provisioning...) reads zero usage whatever a sample taken before its stop said; its totals are
    /// still its configured limits, and <c>SampledAt</c> is when it was last seen up (null if not
    /// within the last hour).
    /// </summary>
    public ContainerMetrics For(Container container)
    {
        ArgumentNullException.ThrowIfNull(container);
        var up = container.State is ContainerState.Running or ContainerState.Paused or ContainerState.Deploying;
        var diskTotal = container.DiskGb * BytesPerGiB;
        var replicas = new List<ReplicaMetrics>(Math.Max(1, container.Replicas));
        DateTimeOffset? sampledAt = null;

        if (up && _snapshot.ByContainer.TryGetValue(container.Id, out var samples))
        {
            foreach (var s in samples)
            {
                var r = s.Reading;
                replicas.Add(new ReplicaMetrics(s.Index, s.CpuPercent, r.MemoryUsedBytes, r.MemoryLimitBytes,
                    DiskUsedBytes(s.EngineId), diskTotal, (long)r.NetworkRxBytes, (long)r.NetworkTxBytes, r.Pids, s.SampledAt));
                if (sampledAt is null || s.SampledAt > sampledAt)
                {
                    sampledAt = s.SampledAt;
                }
            }
        }
        DateTimeOffset? idleSampledAt = null;
        if (!up && _lastSampled.TryGetValue(container.Id, out var last))
        {
            idleSampledAt = sampledAt = last;
        }

        // A replica not sampled (yet, or any more) still counts its configured share of the totals.
        for (var index = 0; index < container.Replicas; index++)
        {
            if (!replicas.Exists(r => r.Replica == index))
            {
                replicas.Add(new ReplicaMetrics(index, 0, 0, container.MemoryMb * BytesPerMiB, 0, diskTotal, 0, 0, 0, idleSampledAt));
            }
        }
        replicas.Sort(static (a, b) => a.Replica.CompareTo(b.Replica));
        return ContainerMetrics.Sum(replicas, sampledAt);
    }

    /// <summary>
    /// CPU % over the time between two readings of one replica: its share of the host's CPU time, times
    /// the cores (so one busy core of a four-core host reads 100 %, not 25 %, as in <c>docker stats</c>).
    /// </summary>
    internal static double CpuPercent(ReplicaReading previous, ReplicaReading current, double previousPercent)
    {
        if (current.CpuUsageNanoseconds < previous.CpuUsageNanoseconds)
        {
            // The replica restarted under the same id and its counters began again.
            return 0;
        }
        if (current.SystemCpuUsageNanoseconds <= previous.SystemCpuUsageNanoseconds)
        {
            // The host's counter has not moved (two readings within its resolution): nothing new to say.
            return previousPercent;
        }
        var cores = Math.Max(1, current.OnlineCpus);
        var share = (double)(current.CpuUsageNanoseconds - previous.CpuUsageNanoseconds)
            / (current.SystemCpuUsageNanoseconds - previous.SystemCpuUsageNanoseconds);
        return Math.Clamp(share * cores * 100, 0, cores * 100);
    }

    private async Task LoopAsync(Func<CancellationToken, Task> pass, TimeSpan interval, string what, CancellationToken cancellationToken)
    {
        var failing = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await pass(cancellationToken).ConfigureAwait(false);
                failing = false;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (EngineUnavailableException e)
            {
                // The reconciler already reports an engine that is down; one warning per outage is enough here.
                if (!failing)
                {
                    LogPassFailed(logger, what, e.Message);
                }
                failing = true;
            }
            try
            {
                await Task.Delay(interval, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Metrics sampler could not {What}: {Problem}; the last samples stay until the engine answers")]
    private static partial void LogPassFailed(ILogger logger, string what, string problem);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Metrics sampler could not read replica {Index} of container {ContainerId}: {Problem}")]
    private static partial void LogReadFailed(ILogger logger, Guid containerId, int index, string problem);

    private sealed class Snapshot(
        Dictionary<string, ReplicaSample> byEngineId,
        Dictionary<Guid, List<ReplicaSample>> byContainer,
        DateTimeOffset? passAt,
        TimeSpan duration)
    {
        public static readonly Snapshot Empty = new([], [], null, TimeSpan.Zero);

        public Dictionary<string, ReplicaSample> ByEngineId { get; } = byEngineId;
        public Dictionary<Guid, List<ReplicaSample>> ByContainer { get; } = byContainer;
        public DateTimeOffset? PassAt { get; } = passAt;
        public TimeSpan Duration { get; } = duration;
    }
}
