using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Berth.Bench;

internal sealed partial class BenchRun
{
    private const string WebV1 = "berth/web:v1";
    private const string WebV2 = "berth/web:v2";
    private const string WebBroken = "berth/web:broken";
    private const string NginxBench = "berth/nginx-bench:latest";
    private const int WebPort = 8080;
    private static readonly TimeSpan s_loadPause = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan s_deployTimeout = TimeSpan.FromSeconds(180);

    private static IEnumerable<string> DeployFigures => ["deploy under load: failed requests", "deploy: triggered to finished"];
    private static IEnumerable<string> IngressFigures => ["ingress: requests/s", "ingress: p99 latency"];
    private static IEnumerable<string> RollbackFigures =>
        ["rollback: failed health check to rolled back", "rollback: deploy triggered to rolled back", "rollback under load: failed requests"];

    /// <summary>
    /// A rolling deploy of a 3-replica web service under steady load through the ingress: v1 → v2, then back to
    /// v1. Reports the requests that failed during the deploys (target 0) and each deploy's time next to the
    /// part of it that is the replicas' own start and health check, taken from the deployment's steps.
    /// </summary>
    private async Task DeployAsync(bool referenceOnly, CancellationToken cancellationToken)
    {
        var (id, domain) = await CreateWebAsync("deploy", WebV1, replicas: 3, startWindow: 30, cpuCores: 0.5, cancellationToken);
        var clients = _options.DeployClients;
        var deploys = new List<(string From, string To, JsonElement Record, long Sent, long Failed)>();
        await using (var load = new IngressLoad(_ingress!, domain, clients, s_loadPause))
        {
            var from = WebV1;
            foreach (var to in new[] { WebV2, WebV1 })
            {
                var (sentBefore, failedBefore) = (load.Sent, load.Failed);
                Log.Info($"deploy: {from} -> {to} under load ({clients} clients)");
                var deploymentId = await _api!.DeployAsync(id, to, cancellationToken);
                var record = await _api.WaitDeploymentAsync(deploymentId, s_deployTimeout, cancellationToken);
                deploys.Add((from, to, record, load.Sent - sentBefore, load.Failed - failedBefore));
                Log.Info($"deploy: {from} -> {to} ended '{record.GetProperty("status").GetString()}'");
                // The next deploy may start once the container is running again.
                await _api.WaitForStateAsync(id, ["running", "failed"], TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100), cancellationToken);
                from = to;
            }
            await load.StopAsync();

            var unsuccessful = deploys.Where(d => d.Record.GetProperty("status").GetString() != "succeeded")
                .Select(d => $"{d.From} → {d.To} ended {d.Record.GetProperty("status").GetString()}: {Reason(d.Record)}")
                .ToList();
            var failures = load.Failures.Count > 0 ? $"first failures: {string.Join("; ", load.Failures)}" : null;
            var rate = load.Sent / load.Elapsed.TotalSeconds;
            _results.Add(new ResultRow(
                $"deploy under load: failed requests (3 replicas, {deploys.Count} deploys, {clients} keep-alive clients through the ingress)",
                $"{load.Failed:N0} failed of {load.Sent:N0} sent ({rate:N0} req/s; {string.Join(", ", deploys.Select(d => $"{d.Sent:N0} during {Short(d.From)} → {Short(d.To)}"))})",
                "—", "0 failed",
                load.Failed == 0 && unsuccessful.Count == 0 ? Verdict.Pass : Verdict.Fail,
                string.Join("; ", unsuccessful.Append(failures).OfType<string>()) is { Length: > 0 } note ? note : null));
        }

        foreach (var (from, to, record, _, _) in deploys)
        {
            var total = Between(record, "triggered_at", "finished_at");
            var replicas = ReplicaStartToHealthy(record);
            var sum = replicas.Sum();
            _results.Add(new ResultRow(
                $"deploy {Short(from)} → {Short(to)}: triggered to finished (3 replicas one at a time, health check every 1 s)",
                $"{Seconds(total)}",
                $"{Seconds(sum)} sum of the replicas' start + health ({string.Join(", ", replicas.Select(Seconds))})",
                "reported", Verdict.Info,
                $"{record.GetProperty("status").GetString()}; the other {Seconds(total - sum)}: routing updates, draining and stopping the old replicas"));
        }
    }

    /// <summary>
    /// Requests per second and p99 through Berth's ingress next to the same replica's published port, with the
    /// same wrk settings in the same run. The backend is nginx (berth/nginx-bench), which keeps connections
    /// open: busybox httpd closes every one, which would measure connection set-up rather than the proxy.
    /// </summary>
    private async Task IngressAsync(bool referenceOnly, CancellationToken cancellationToken)
    {
        if (!await _docker.ImageExistsAsync(NginxBench, cancellationToken))
        {
            throw new BenchException($"The image {NginxBench} is missing: scripts/build-bench-images.sh builds it (bench/run.sh calls it).");
        }
        // All the machine's cores: a quota nginx can reach throttles it for the rest of a 100 ms period, which
        // shows up as p99 spikes of that size in both columns.
        var (id, domain) = await CreateWebAsync("ingress", NginxBench, replicas: 1, startWindow: 30, cpuCores: Environment.ProcessorCount, cancellationToken);
        var replica = await _docker.FindReplicaAsync(id, cancellationToken);
        var port = await _docker.PublishedPortAsync(replica, WebPort, cancellationToken);
        // The same request bytes both ways: nginx ignores the Host header, the ingress routes by it.
        var script = Wrk.WriteHostScript(_workDirectory, domain);
        var connections = _options.IngressConnections;
        var directUrl = new Uri($"http://127.0.0.1:{port}/");
        var ingressUrl = new Uri(_ingress!, "/");
        // A fresh server's JIT is still compiling the proxy's hot path after a few seconds of load (its rate
        // climbs for about 10 s): the longer warm-up measures the ingress as it runs once it has been up a while.
        var warmup = _options.IngressWarmupSeconds;
        Log.Info($"wrk: {warmup} s warm-up each for {directUrl} (direct) and {ingressUrl} (ingress)");
        await Wrk.MeasureAsync(_options.Wrk, script, directUrl, _options.WrkThreads, connections, warmup, cancellationToken);
        await Wrk.MeasureAsync(_options.Wrk, script, ingressUrl, _options.WrkThreads, connections, warmup, cancellationToken);
        // Alternating rounds, so that a burst of load from elsewhere on the machine hits both sides alike; the
        // medians are reported.
        var directRounds = new List<WrkResult>();
        var ingressRounds = new List<WrkResult>();
        for (var round = 0; round < _options.IngressRounds; round++)
        {
            directRounds.Add(await IngressWrkAsync($"direct {round + 1}/{_options.IngressRounds}", directUrl, script, connections, cancellationToken));
            ingressRounds.Add(await IngressWrkAsync($"ingress {round + 1}/{_options.IngressRounds}", ingressUrl, script, connections, cancellationToken));
        }
        var direct = MedianRound(directRounds);
        var ingress = MedianRound(ingressRounds);

        var conditions = $"{connections} conn, {_options.WrkThreads} threads, median of {_options.IngressRounds} × {_options.WrkSeconds} s, nginx backend";
        var errors = string.Join("; ", directRounds.Where(r => r.Errors.Length > 0).Select(r => $"direct: {r.Errors}")
            .Concat(ingressRounds.Where(r => r.Errors.Length > 0).Select(r => $"ingress: {r.Errors}")));
        var rounds = $"rounds, ingress/direct: {string.Join(", ", directRounds.Zip(ingressRounds, (d, i) => $"{i.RequestsPerSecond:N0}/{d.RequestsPerSecond:N0} req/s p99 {Stats.Ms(i.P99Ms)}/{Stats.Ms(d.P99Ms)}"))}";
        var note = errors.Length > 0 ? errors : rounds;
        var failed = errors.Length > 0;
        var rateLimit = 0.7 * direct.RequestsPerSecond;
        _results.Add(new ResultRow($"ingress: requests/s ({conditions})",
            $"{Stats.Rate(ingress.RequestsPerSecond)} ({ingress.RequestsPerSecond / direct.RequestsPerSecond:0.00}× direct)",
            $"{Stats.Rate(direct.RequestsPerSecond)} direct to the replica's port",
            $"≥ 0.7× direct = {Stats.Rate(rateLimit)}",
            failed ? Verdict.Error : ingress.RequestsPerSecond >= rateLimit ? Verdict.Pass : Verdict.Fail, note));
        var added = ingress.P99Ms - direct.P99Ms;
        _results.Add(new ResultRow($"ingress: p99 latency ({conditions})",
            $"{Stats.Ms(ingress.P99Ms)} (p50 {Stats.Ms(ingress.P50Ms)}; {(added >= 0 ? "+" : "−")}{Stats.Ms(Math.Abs(added))} over direct)",
            $"{Stats.Ms(direct.P99Ms)} direct (p50 {Stats.Ms(direct.P50Ms)})",
            $"added < 2 ms: < {Stats.Ms(direct.P99Ms + 2)}",
            failed ? Verdict.Error : added < 2 ? Verdict.Pass : Verdict.Fail, failed ? note : null));
    }

    /// <summary>
    /// Deploys of an image whose health check never passes (berth/web:broken), start window 3 s, each timed from
    /// the failed check (the step Berth records when the window ran out) to the completed rollback, under the
    /// same steady load through the ingress as the deploy figures.
    /// </summary>
    private async Task RollbackAsync(bool referenceOnly, CancellationToken cancellationToken)
    {
        const int window = 3;
        var (id, domain) = await CreateWebAsync("rollback", WebV1, replicas: 1, startWindow: window, cpuCores: 0.5, cancellationToken);
        var runs = _options.RollbackRuns;
        var toRolledBack = new List<double>();
        var fromTrigger = new List<double>();
        var startToFailure = new List<double>();
        await using var load = new IngressLoad(_ingress!, domain, _options.DeployClients, s_loadPause);
        for (var run = 0; run < runs; run++)
        {
            var deploymentId = await _api!.DeployAsync(id, WebBroken, cancellationToken);
            var record = await _api.WaitDeploymentAsync(deploymentId, s_deployTimeout, cancellationToken);
            var status = record.GetProperty("status").GetString();
            if (status != "rolled_back")
            {
                throw new BenchException($"A deploy of {WebBroken} ended '{status}', not rolled_back: {Reason(record)}");
            }
            var steps = Steps(record);
            var started = steps.FirstOrDefault(s => StartingStep().IsMatch(s.Message));
            var failed = steps.FirstOrDefault(s => s.Message.Contains("did not become healthy", StringComparison.Ordinal));
            if (started.Message is null || failed.Message is null)
            {
                throw new BenchException($"Deployment {deploymentId} has no 'starting' or 'did not become healthy' step: {string.Join(" | ", steps.Select(s => s.Message))}");
            }
            var finished = record.GetProperty("finished_at").GetDateTimeOffset();
            toRolledBack.Add((finished - failed.At).TotalMilliseconds);
            fromTrigger.Add(Between(record, "triggered_at", "finished_at"));
            startToFailure.Add((failed.At - started.At).TotalMilliseconds);
            Log.Info($"rollback {run + 1}/{runs}: failure to rolled back {Seconds(toRolledBack[^1])}, triggered to rolled back {Seconds(fromTrigger[^1])}");
            await _api.WaitForStateAsync(id, ["running", "failed"], TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100), cancellationToken);
        }
        await load.StopAsync();

        var median = Stats.Median(toRolledBack);
        _results.Add(new ResultRow($"rollback: failed health check to rolled back, median (N={runs}, start_window {window} s)",
            $"{Seconds(median)} (each: {string.Join(", ", toRolledBack.Select(Seconds))})",
            $"window ran out {Seconds(Stats.Median(startToFailure))} after the replica's start",
            "< 2 s", median < 2000 ? Verdict.Pass : Verdict.Fail,
            "from the step that records the failed check to finished_at"));
        _results.Add(new ResultRow($"rollback: deploy triggered to rolled back, median (N={runs}, start_window {window} s)",
            $"{Seconds(Stats.Median(fromTrigger))} (each: {string.Join(", ", fromTrigger.Select(Seconds))})",
            "—", "reported", Verdict.Info));
        _results.Add(new ResultRow($"rollback under load: failed requests ({runs} rollbacks, {_options.DeployClients} keep-alive clients through the ingress)",
            $"{load.Failed:N0} failed of {load.Sent:N0} sent", "—", "0 failed",
            load.Failed == 0 ? Verdict.Pass : Verdict.Fail,
            load.Failures.Count > 0 ? $"first failures: {string.Join("; ", load.Failures)}" : null));
    }

    /// <summary>
    /// A web service created through Berth with a port, a health check on /health and one domain; returns once it
    /// is running and the ingress routes its domain (an answer 200).
    /// </summary>
    private async Task<(string Id, string Domain)> CreateWebAsync(
        string suffix, string image, int replicas, int startWindow, double cpuCores, CancellationToken cancellationToken)
    {
        var hostname = $"bench-{_options.RunId}-{suffix}";
        var domain = $"{suffix}-{_options.RunId}.berth.test";
        Log.Info($"creating {hostname} ({image}, {replicas} replica(s), domain {domain}) through Berth");
        var id = await _api!.CreateAsync(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["hostname"] = hostname,
            ["image"] = image,
            ["port"] = WebPort,
            ["replicas"] = replicas,
            ["memory_mb"] = 64,
            ["cpu_cores"] = cpuCores,
            ["health_check"] = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["path"] = "/health",
                ["interval"] = 1,
                ["timeout"] = 2,
                ["start_window"] = startWindow,
            },
            ["domains"] = new[] { domain },
        }, cancellationToken);
        RememberCreated(id);
        _mainCreated.Add(id);
        var state = await _api.WaitForStateAsync(id, ["running", "failed"], TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(100), cancellationToken);
        if (state != "running")
        {
            throw new BenchException($"Container {hostname} became '{state}' instead of running.");
        }
        await WaitRoutedAsync(domain, cancellationToken);
        return (id, domain);
    }

    private async Task WaitRoutedAsync(string domain, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = _ingress, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        var last = "no answer yet";
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Host = domain;
            try
            {
                using var response = await client.SendAsync(request, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
                last = $"answered {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "no answer within 5 s";
            }
            await Task.Delay(100, cancellationToken);
        }
        throw new BenchException($"The ingress at {_ingress} did not route {domain} within 30 s ({last}).");
    }

    private async Task<WrkResult> IngressWrkAsync(string name, Uri url, string script, int connections, CancellationToken cancellationToken)
    {
        var result = await Wrk.MeasureAsync(_options.Wrk, script, url, _options.WrkThreads, connections, _options.WrkSeconds, cancellationToken);
        Log.Info($"wrk {name}: {Stats.Rate(result.RequestsPerSecond)}, p50 {Stats.Ms(result.P50Ms)}, p99 {Stats.Ms(result.P99Ms)}, {result.Requests} requests{(result.Errors.Length > 0 ? ", " + result.Errors : "")}");
        return result;
    }

    /// <summary>The median rate and the median p50 and p99 of a few wrk rounds (each a measured value).</summary>
    private static WrkResult MedianRound(IReadOnlyList<WrkResult> rounds) => new(
        Stats.Median([.. rounds.Select(r => r.RequestsPerSecond)]),
        Stats.Median([.. rounds.Select(r => r.P50Ms)]),
        Stats.Median([.. rounds.Select(r => r.P99Ms)]),
        rounds.Sum(r => r.Requests),
        string.Join("; ", rounds.Select(r => r.Errors).Where(e => e.Length > 0)));

    /// <summary>For each replica the deploy started, the time from its "starting" step to its "healthy" step.</summary>
    private static List<double> ReplicaStartToHealthy(JsonElement deployment)
    {
        var starts = new Dictionary<int, DateTimeOffset>();
        var times = new List<double>();
        foreach (var (at, message) in Steps(deployment))
        {
            if (StartingStep().Match(message) is { Success: true } start)
            {
                starts[int.Parse(start.Groups[1].Value, CultureInfo.InvariantCulture)] = at;
            }
            else if (HealthyStep().Match(message) is { Success: true } healthy
                && starts.TryGetValue(int.Parse(healthy.Groups[1].Value, CultureInfo.InvariantCulture), out var from))
            {
                times.Add((at - from).TotalMilliseconds);
            }
        }
        return times;
    }

    private static List<(DateTimeOffset At, string Message)> Steps(JsonElement deployment) =>
        deployment.TryGetProperty("steps", out var steps) && steps.ValueKind == JsonValueKind.Array
            ? [.. steps.EnumerateArray().Select(s => (s.GetProperty("at").GetDateTimeOffset(), s.GetProperty("message").GetString() ?? ""))]
            : throw new BenchException($"The deployment has no steps: {deployment.GetRawText()}");

    private static double Between(JsonElement deployment, string from, string to) =>
        (deployment.GetProperty(to).GetDateTimeOffset() - deployment.GetProperty(from).GetDateTimeOffset()).TotalMilliseconds;

    private static string Reason(JsonElement deployment) =>
        deployment.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString()! : "no reason given";

    private static string Short(string image) => image[(image.LastIndexOf(':') + 1)..];

    private static string Seconds(double milliseconds) => (milliseconds / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " s";

    [GeneratedRegex(@"^Replica ([0-9]+): starting ")]
    private static partial Regex StartingStep();

    [GeneratedRegex(@"^Replica ([0-9]+): healthy and taking traffic")]
    private static partial Regex HealthyStep();
}
