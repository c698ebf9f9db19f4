using Berth.Core.Accounts;
using Berth.Core.Containers;
using Berth.Core.Metrics;
using Berth.Core.Persistence;
using Berth.Core.Projects;
using Berth.Server.Accounts;
using Berth.Server.Http;
using Berth.Server.Metrics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Berth.Server.Api;

/// <summary>Container usage from the background sampler, and the server's Prometheus endpoint.</summary>
internal static class MetricsApi
{
    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/containers/{id}/metrics", GetAsync)
            .RequireScope(Scopes.Read)
            .NeedsPermission(Permission.View)
            .WithTags("Containers")
            .WithSummary("Resource usage of a container, summed over its replicas, as last sampled");
        // Admins only: the series name every tenant's containers.
        app.MapGet("/metrics", PrometheusAsync)
            .RequireAuthorization(AccountsSetup.AdminPolicy)
            .WithMetadata(new RequiredScope(Scopes.Admin))
            .WithTags("Metrics")
            .WithSummary("Prometheus text format 0.0.4: per-replica usage and server figures (admin)");
        return app;
    }

    private static async Task<Ok<DataEnvelope<MetricsRecord>>> GetAsync(
        HttpContext http, ContainerService containers, MetricsSampler sampler, string id, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(http.GetCaller(), id, cancellationToken);
        return TypedResults.Ok(Envelope.Of(MetricsRecord.From(sampler.For(container)), "Container metrics retrieved successfully"));
    }

    private static async Task<ContentHttpResult> PrometheusAsync(
        MetricsSampler sampler, IContainerStore store, CancellationToken cancellationToken)
    {
        var containers = await store.ListLiveAsync(cancellationToken);
        return TypedResults.Text(PrometheusText.Render(sampler, containers), PrometheusText.ContentType);
    }
}

/// <summary>The metrics of the native API: sizes in MiB and GiB as the container's limits are given.</summary>
internal sealed record MetricsRecord(
    double CpuPercent,
    double MemoryUsedMb,
    double MemoryTotalMb,
    double DiskUsedGb,
    double DiskTotalGb,
    long NetworkRxBytes,
    long NetworkTxBytes,
    int Pids,
    DateTimeOffset? SampledAt,
    IReadOnlyList<ReplicaMetricsRecord> Replicas)
{
    public static MetricsRecord From(ContainerMetrics m) => new(
        Units.Percent(m.CpuPercent), Units.Mb(m.MemoryUsedBytes), Units.Mb(m.MemoryTotalBytes),
        Units.Gb(m.DiskUsedBytes), Units.Gb(m.DiskTotalBytes), m.NetworkRxBytes, m.NetworkTxBytes, m.Pids, m.SampledAt,
        [.. m.Replicas.Select(ReplicaMetricsRecord.From)]);
}

internal sealed record ReplicaMetricsRecord(
    int Replica,
    double CpuPercent,
    double MemoryUsedMb,
    double MemoryTotalMb,
    double DiskUsedGb,
    double DiskTotalGb,
    long NetworkRxBytes,
    long NetworkTxBytes,
    int Pids,
    DateTimeOffset? SampledAt)
{
    public static ReplicaMetricsRecord From(ReplicaMetrics r) => new(
        r.Replica, Units.Percent(r.CpuPercent), Units.Mb(r.MemoryUsedBytes), Units.Mb(r.MemoryTotalBytes),
        Units.Gb(r.DiskUsedBytes), Units.Gb(r.DiskTotalBytes), r.NetworkRxBytes, r.NetworkTxBytes, r.Pids, r.SampledAt);
}

internal static class Units
{
    public static double Percent(double value) => Math.Round(value, 1);

    public static double Mb(long bytes) => Math.Round(bytes / (1024d * 1024), 1);

    public static double Gb(long bytes) => Math.Round(bytes / (1024d * 1024 * 1024), 2);
}
