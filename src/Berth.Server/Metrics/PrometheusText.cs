using System.Globalization;
using System.Text;
using Berth.Core.Containers;
using Berth.Core.Metrics;

namespace Berth.Server.Metrics;

/// <summary>
/// The Prometheus text exposition format 0.0.4: per replica usage from the sampler's latest pass, and
/// a few figures about the server itself. Every sample of one family is written together, as the
/// format requires.
/// </summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly (string Name, string Type, string Help, Func<ReplicaSample, MetricsSampler, double> Value)[] s_replicaFamilies =
    [
        ("berth_container_cpu_percent", "gauge", "CPU use of the replica over the last sample interval, in percent of one core.",
            static (s, _) => s.CpuPercent),
        ("berth_container_memory_used_bytes", "gauge", "Memory in use by the replica, reclaimable page cache excluded.",
            static (s, _) => s.Reading.MemoryUsedBytes),
        ("berth_container_memory_limit_bytes", "gauge", "Memory limit of the replica.",
            static (s, _) => s.Reading.MemoryLimitBytes),
        ("berth_container_disk_used_bytes", "gauge", "Size of the replica's writable layer, refreshed less often than the rest.",
            static (s, sampler) => sampler.DiskUsedBytes(s.EngineId)),
        ("berth_container_network_receive_bytes_total", "counter", "Bytes received by the replica since it started.",
            static (s, _) => s.Reading.NetworkRxBytes),
        ("berth_container_network_transmit_bytes_total", "counter", "Bytes sent by the replica since it started.",
            static (s, _) => s.Reading.NetworkTxBytes),
        ("berth_container_pids", "gauge", "Processes and threads in the replica.",
            static (s, _) => s.Reading.Pids),
    ];

    public static string Render(MetricsSampler sampler, IReadOnlyList<Container> containers)
    {
        var byId = new Dictionary<Guid, Container>(containers.Count);
        foreach (var container in containers)
        {
            byId[container.Id] = container;
        }
        // Replicas whose record is gone are orphans the reconciler is about to remove; they are not shown.
        var samples = sampler.Samples
            .Where(s => byId.ContainsKey(s.ContainerId))
            .OrderBy(s => s.ContainerId).ThenBy(s => s.Index)
            .ToList();

        var text = new StringBuilder(1024 + (samples.Count * s_replicaFamilies.Length * 160));
        foreach (var (name, type, help, value) in s_replicaFamilies)
        {
            Header(text, name, type, help);
            foreach (var sample in samples)
            {
                text.Append(name)
                    .Append("{container_id=\"").Append(sample.ContainerId.ToString("D"))
                    .Append("\",hostname=\"");
                Escape(text, byId[sample.ContainerId].Hostname);
                text.Append("\",replica=\"").Append(sample.Index.ToString(CultureInfo.InvariantCulture)).Append("\"} ");
                Number(text, value(sample, sampler));
                text.Append('\n');
            }
        }

        Header(text, "berth_containers", "gauge", "Containers by state, every owner.");
        foreach (var state in Enum.GetValues<ContainerState>())
        {
            var count = containers.Count(c => c.State == state);
            text.Append("berth_containers{state=\"").Append(state.ToWire()).Append("\"} ");
            Number(text, count);
            text.Append('\n');
        }

        Header(text, "berth_metrics_replicas_sampled", "gauge", "Replicas the metrics sampler read in its last pass.");
        text.Append("berth_metrics_replicas_sampled ");
        Number(text, sampler.Samples.Count);
        text.Append('\n');

        Header(text, "berth_metrics_sample_duration_seconds", "gauge", "How long the metrics sampler's last pass took.");
        text.Append("berth_metrics_sample_duration_seconds ");
        Number(text, sampler.LastPassDuration.TotalSeconds);
        text.Append('\n');

        if (sampler.LastPassAt is { } at)
        {
            Header(text, "berth_metrics_last_sample_timestamp_seconds", "gauge", "When the metrics sampler's last pass ended, in Unix time.");
            text.Append("berth_metrics_last_sample_timestamp_seconds ");
            Number(text, at.ToUnixTimeMilliseconds() / 1000d);
            text.Append('\n');
        }
        return text.ToString();
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Number(StringBuilder text, double value) =>
        text.Append(value.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>Label values escape backslash, double quote and line feed.</summary>
    private static void Escape(StringBuilder text, string value)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append("\\\\"),
                '"' => text.Append("\\\""),
                '\n' => text.Append("\\n"),
                _ => text.Append(c),
            };
        }
    }
}
