using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Berth.Bench;

internal sealed partial class BenchRun
{
    private static IEnumerable<string> MetricsFigures => ["GET metrics: p99 latency", "metrics sampler: CPU with 100 running containers"];

    /// <summary>
    /// On a server of its own with many running containers: the latency of one container's metrics (next
    /// to GET of the same container, timed in the same loop), then the server's CPU time over a window
    /// with the default sampler, and again after a restart on the same data with the sampler slowed to
    /// once an hour. The difference is what sampling costs.
    /// </summary>
    private async Task MetricsAsync(bool referenceOnly, CancellationToken cancellationToken)
    {
        var token = NewToken();
        var instance = $"bench-{_options.RunId}-metrics";
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["DOCKER_HOST"] = _options.DockerHost };
        var server = StartServer("berth-metrics", "metrics-data", instance, token, environment);
        await server.WaitReadyAsync(_options.ReadyTimeout, cancellationToken, "/readyz");
        var api = new BerthApi(server.BaseAddress, token, _options.OperationTimeout);
        try
        {
            var count = _options.MetricsContainers;
            Log.Info($"creating {count} running containers on the metrics server");
            var ids = new string[count];
            var next = -1;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) < count)
                {
                    ids[index] = await api.CreateAsync($"m-{_options.RunId}-{index:D3}", cancellationToken);
                    lock (_createdIds)
                    {
                        RememberCreated(ids[index]);
                    }
                }
            }));
            await WaitAllRunningAsync(api, count, TimeSpan.FromSeconds(60 + (3 * count)), cancellationToken);
            Log.Info($"{count} containers running after {clock.Elapsed.TotalSeconds:0} s");

            var first = ids[0];
            var metricsPath = $"/api/v1/containers/{first}/metrics";
            var getPath = $"/api/v1/containers/{first}";
            // The first sample comes within one interval of the replica's start; wait for it so that the
            // figure is the answer of a sampled container.
            var sampled = Stopwatch.StartNew();
            while (true)
            {
                var data = await api.GetDataAsync(metricsPath, cancellationToken);
                if (data.TryGetProperty("sampled_at", out var at) && at.ValueKind == JsonValueKind.String)
                {
                    break;
                }
                if (sampled.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new BenchException($"GET {metricsPath} has no sampled_at 30 s after the container started: {data.GetRawText()}");
                }
                await Task.Delay(250, cancellationToken);
            }

            for (var i = 0; i < 50; i++)
            {
                await api.DrainAsync(metricsPath, cancellationToken);
                await api.DrainAsync(getPath, cancellationToken);
            }
            var requests = _options.MetricsRequests;
            var metricsSamples = new List<double>(requests);
            var getSamples = new List<double>(requests);
            for (var i = 0; i < requests; i++)
            {
                var one = Stopwatch.StartNew();
                await api.DrainAsync(metricsPath, cancellationToken);
                metricsSamples.Add(one.Elapsed.TotalMilliseconds);
                one.Restart();
                await api.DrainAsync(getPath, cancellationToken);
                getSamples.Add(one.Elapsed.TotalMilliseconds);
            }
            var p99 = Stats.Percentile(metricsSamples, 99);
            _results.Add(new ResultRow($"GET metrics: p99 latency ({requests} sequential requests, {count} containers sampled)",
                $"{Stats.Ms(p99)} (p50 {Stats.Ms(Stats.Median(metricsSamples))})",
                $"{Stats.Ms(Stats.Percentile(getSamples, 99))} GET container (p50 {Stats.Ms(Stats.Median(getSamples))})",
                "< 10 ms", p99 < 10 ? Verdict.Pass : Verdict.Fail));

            var window = TimeSpan.FromSeconds(_options.CpuSeconds);
            var settle = TimeSpan.FromSeconds(15);
            Log.Info($"metrics sampler: CPU of the idle server over {window.TotalSeconds:0} s, default interval");
            await Task.Delay(settle, cancellationToken);
            var on = await CpuShareAsync(server, window, cancellationToken);

            api.Dispose();
            await server.DisposeAsync();
            _servers.Remove(server);
            // The same data and the same containers; only the sampler's interval differs.
            environment["Berth__Metrics__SampleInterval"] = "01:00:00";
            environment["Berth__Metrics__DiskSampleInterval"] = "01:00:00";
            server = StartServer("berth-metrics-off", "metrics-data", instance, token, environment);
            await server.WaitReadyAsync(_options.ReadyTimeout, cancellationToken, "/readyz");
            api = new BerthApi(server.BaseAddress, token, _options.OperationTimeout);
            await WaitAllRunningAsync(api, count, TimeSpan.FromSeconds(60), cancellationToken);
            Log.Info($"metrics sampler: the same over {window.TotalSeconds:0} s with a 1 h interval");
            await Task.Delay(settle, cancellationToken);
            var off = await CpuShareAsync(server, window, cancellationToken);

            var cost = on - off;
            _results.Add(new ResultRow(
                $"metrics sampler: CPU with {count} running containers (idle server, {window.TotalSeconds:0} s, interval 5 s)",
                $"{Percent(cost)} of one core ({Percent(on)} with the sampler − {Percent(off)} without)",
                $"{Percent(off)} same server, interval 1 h", "< 5% of one core",
                cost < 5 ? Verdict.Pass : Verdict.Fail));
        }
        finally
        {
            api.Dispose();
        }
    }

    private static string Percent(double value) => value.ToString("0.00", CultureInfo.InvariantCulture) + " %";

    /// <summary>The server's CPU time over the window, in percent of one core.</summary>
    private static async Task<double> CpuShareAsync(ServerProcess server, TimeSpan window, CancellationToken cancellationToken)
    {
        var before = server.CpuTime();
        var clock = Stopwatch.StartNew();
        await Task.Delay(window, cancellationToken);
        var used = server.CpuTime() - before;
        var share = 100 * used.TotalSeconds / clock.Elapsed.TotalSeconds;
        Log.Info($"{server.Name}: {used.TotalSeconds:0.00} s CPU in {clock.Elapsed.TotalSeconds:0.0} s = {Percent(share)} of one core");
        return share;
    }

    private static async Task WaitAllRunningAsync(BerthApi api, int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long running;
        while ((running = (await api.ListAsync(1, 1, "running", cancellationToken)).Total) < count)
        {
            if (clock.Elapsed > timeout)
            {
                var (_, failed) = await api.ListAsync(1, 1, "failed", cancellationToken);
                throw new BenchException($"Only {running} of {count} containers were running after {timeout.TotalSeconds:0} s ({failed} failed).");
            }
            await Task.Delay(500, cancellationToken);
        }
    }
}
