namespace Berth.Core.Engine;

/// <summary>A replica the engine reports as up (running or paused), which therefore has usage to read.</summary>
public sealed record RunningReplica(Guid ContainerId, int Index, string EngineId);

/// <summary>
/// One reading of one replica. CPU and network figures are counters since the replica started; the
/// caller turns two consecutive readings of the same replica into a rate.
/// </summary>
/// <param name="CpuUsageNanoseconds">CPU time the replica has used, summed over all cores.</param>
/// <param name="SystemCpuUsageNanoseconds">CPU time the whole host has used (every core, every process).</param>
/// <param name="OnlineCpus">Cores of the host, so that a replica using two full cores reads 200 %.</param>
/// <param name="MemoryUsedBytes">Memory in use, page cache that the kernel can drop not counted (as <c>docker stats</c>).</param>
/// <param name="MemoryLimitBytes">The replica's memory limit.</param>
/// <param name="NetworkRxBytes">Bytes received, summed over the replica's interfaces.</param>
/// <param name="NetworkTxBytes">Bytes sent, summed over the replica's interfaces.</param>
/// <param name="Pids">Processes and threads in the replica now.</param>
public readonly record struct ReplicaReading(
    ulong CpuUsageNanoseconds,
    ulong SystemCpuUsageNanoseconds,
    int OnlineCpus,
    long MemoryUsedBytes,
    long MemoryLimitBytes,
    ulong NetworkRxBytes,
    ulong NetworkTxBytes,
    int Pids);

/// <summary>
/// Where resource usage comes from. Every call is a single cheap request to the engine except
/// <see cref="ReadWritableLayerSizesAsync"/>, which makes the engine walk file systems. Calls throw
/// <see cref="EngineUnavailableException"/> when the engine cannot be reached.
/// </summary>
public interface IContainerStatsSource
{
    /// <summary>Every replica of this Berth instance that is up now.</summary>
    Task<IReadOnlyList<RunningReplica>> ListRunningAsync(CancellationToken cancellationToken);

    /// <summary>One reading of the replica, or null when it is gone or no longer up.</summary>
    Task<ReplicaReading?> ReadAsync(string engineId, CancellationToken cancellationToken);

    /// <summary>Bytes written to the writable layer of each up replica of this instance, by engine id. Expensive.</summary>
    Task<IReadOnlyDictionary<string, long>> ReadWritableLayerSizesAsync(CancellationToken cancellationToken);
}
