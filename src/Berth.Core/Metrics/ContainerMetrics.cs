namespace Berth.Core.Metrics;

/// <summary>Usage of one replica as last sampled. Sizes are in bytes; the API converts them.</summary>
public sealed record ReplicaMetrics(
    int Replica,
    double CpuPercent,
    long MemoryUsedBytes,
    long MemoryTotalBytes,
    long DiskUsedBytes,
    long DiskTotalBytes,
    long NetworkRxBytes,
    long NetworkTxBytes,
    int Pids,
    DateTimeOffset? SampledAt);

/// <summary>Usage of a whole container: the sum over its replicas, with each replica's share.</summary>
public sealed record ContainerMetrics(
    double CpuPercent,
    long MemoryUsedBytes,
    long MemoryTotalBytes,
    long DiskUsedBytes,
    long DiskTotalBytes,
    long NetworkRxBytes,
    long NetworkTxBytes,
    int Pids,
    DateTimeOffset? SampledAt,
    IReadOnlyList<ReplicaMetrics> Replicas)
{
    public static ContainerMetrics Sum(IReadOnlyList<ReplicaMetrics> replicas, DateTimeOffset? sampledAt)
    {
        double cpu = 0;
        long memoryUsed = 0, memoryTotal = 0, diskUsed = 0, diskTotal = 0, rx = 0, tx = 0;
        var pids = 0;
        foreach (var r in replicas)
        {
            cpu += r.CpuPercent;
            memoryUsed += r.MemoryUsedBytes;
            memoryTotal += r.MemoryTotalBytes;
            diskUsed += r.DiskUsedBytes;
            diskTotal += r.DiskTotalBytes;
            rx += r.NetworkRxBytes;
            tx += r.NetworkTxBytes;
            pids += r.Pids;
        }
        return new ContainerMetrics(cpu, memoryUsed, memoryTotal, diskUsed, diskTotal, rx, tx, pids, sampledAt, replicas);
    }
}

/// <summary>
/// The sampler's latest reading of one up replica, with the counters the next reading's CPU % is
/// computed against.
/// </summary>
public sealed record ReplicaSample(
    Guid ContainerId,
    int Index,
    string EngineId,
    DateTimeOffset SampledAt,
    double CpuPercent,
    Engine.ReplicaReading Reading);
