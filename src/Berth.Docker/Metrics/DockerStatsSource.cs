using System.Net;
using Berth.Core.Engine;
using Docker.DotNet.Models;
using Microsoft.Extensions.Options;

namespace Berth.Docker.Metrics;

/// <summary>
/// Resource usage of this instance's replicas on one Docker host, read through the shared
/// <see cref="DockerConnection"/>. Each reading is a one-shot stats call: the engine reads the
/// cgroup once and answers at once, instead of sampling twice a second apart.
/// </summary>
internal sealed class DockerStatsSource(DockerConnection docker, IOptions<DockerEngineOptions> options) : IContainerStatsSource
{
    private static readonly ContainerStatsParameters s_oneShot = new() { Stream = false, OneShot = true };

    private readonly string _instanceId = options.Value.InstanceId;

    public async Task<IReadOnlyList<RunningReplica>> ListRunningAsync(CancellationToken cancellationToken)
    {
        // Without All the engine lists only replicas that are up (running or paused).
        var parameters = new ContainersListParameters { Filters = ReplicaLabels.Filter(_instanceId) };
        var containers = await docker.CallAsync("list running replicas", (client, ct) => client.Containers.ListContainersAsync(parameters, ct), cancellationToken)
            .ConfigureAwait(false);
        if (containers is null)
        {
            return [];
        }
        var replicas = new List<RunningReplica>(containers.Count);
        foreach (var container in containers)
        {
            if (ReplicaLabels.ContainerId(container.Labels) is { } containerId && ReplicaLabels.Index(container.Labels) is { } index)
            {
                replicas.Add(new RunningReplica(containerId, index, container.ID));
            }
        }
        return replicas;
    }

    public async Task<ReplicaReading?> ReadAsync(string engineId, CancellationToken cancellationToken)
    {
        ContainerStatsResponse? stats = null;
        var progress = new Capture(response => stats = response);
        // Gone (404) or no longer running (409 on some engines) between the list and this call: no reading.
        var answered = await docker.CallAsync("read replica usage", (client, ct) =>
            client.Containers.GetContainerStatsAsync(engineId, s_oneShot, progress, ct), cancellationToken,
            HttpStatusCode.NotFound, HttpStatusCode.Conflict).ConfigureAwait(false);
        // A replica that stopped in between answers an empty frame (no read time) rather than an error.
        return answered && stats is { } s && s.Read != default ? ToReading(s) : null;
    }

    public async Task<IReadOnlyDictionary<string, long>> ReadWritableLayerSizesAsync(CancellationToken cancellationToken)
    {
        var parameters = new ContainersListParameters { Size = true, Filters = ReplicaLabels.Filter(_instanceId) };
        var containers = await docker.CallAsync("read replica disk usage", (client, ct) => client.Containers.ListContainersAsync(parameters, ct), cancellationToken)
            .ConfigureAwait(false);
        var sizes = new Dictionary<string, long>(containers?.Count ?? 0, StringComparer.Ordinal);
        foreach (var container in containers ?? [])
        {
            // The engine leaves SizeRw out when nothing was written.
            sizes[container.ID] = container.SizeRw ?? 0;
        }
        return sizes;
    }

    internal static ReplicaReading ToReading(ContainerStatsResponse stats)
    {
        ulong rx = 0, tx = 0;
        if (stats.Networks is { } networks)
        {
            foreach (var network in networks.Values)
            {
                rx += network.RxBytes;
                tx += network.TxBytes;
            }
        }
        var memory = stats.MemoryStats;
        return new ReplicaReading(
            stats.CPUStats?.CPUUsage?.TotalUsage ?? 0,
            stats.CPUStats?.SystemUsage ?? 0,
            (int)(stats.CPUStats?.OnlineCPUs ?? (uint)(stats.CPUStats?.CPUUsage?.PercpuUsage?.Count ?? 1)),
            MemoryUsed(memory),
            (long)Math.Min(memory?.Limit ?? 0, long.MaxValue),
            rx,
            tx,
            (int)Math.Min(stats.PidsStats?.Current ?? 0, int.MaxValue));
    }

    /// <summary>
    /// Usage less the page cache the kernel can drop at will, as <c>docker stats</c> shows it:
    /// <c>total_inactive_file</c> on cgroup v1, <c>inactive_file</c> on v2.
    /// </summary>
    private static long MemoryUsed(MemoryStats? memory)
    {
        var usage = memory?.Usage ?? 0;
        if (memory?.Stats is { } details
            && (details.TryGetValue("total_inactive_file", out var inactive) || details.TryGetValue("inactive_file", out inactive))
            && inactive < usage)
        {
            usage -= inactive;
        }
        return (long)Math.Min(usage, long.MaxValue);
    }

    /// <summary>Keeps the one frame a one-shot call reports, on the caller's thread.</summary>
    private sealed class Capture(Action<ContainerStatsResponse> report) : IProgress<ContainerStatsResponse>
    {
        public void Report(ContainerStatsResponse value) => report(value);
    }
}
