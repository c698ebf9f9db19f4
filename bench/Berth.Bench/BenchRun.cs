using System.Diagnostics;
using System.Security.Cryptography;

namespace Berth.Bench;

/// <summary>
/// One run of every figure on one machine. It owns what it starts (server processes, containers, a
/// work directory) and takes all of it down in <see cref="DisposeAsync"/>, whatever happened before.
/// </summary>
internal sealed partial class BenchRun : IAsyncDisposable
{
    private static readonly string[] s_operations = ["stop", "start", "restart", "pause", "resume"];
    private static readonly Dictionary<string, string> s_stateAfter = new(StringComparer.Ordinal)
    {
        ["stop"] = "stopped",
        ["start"] = "running",
        ["restart"] = "running",
        ["pause"] = "paused",
        ["resume"] = "running",
    };

    private readonly BenchOptions _options;
    private readonly Results _results;
    private readonly DirectDocker _docker;
    private readonly string _workDirectory;
    private readonly bool _ownsWorkDirectory;
    private readonly string _idsFile;
    private readonly List<ServerProcess> _servers = [];
    private readonly List<string> _createdIds = [];
    private readonly List<string> _instanceIds = [];
    // Created through the main server (not the list or metrics servers): deleted through it at the end.
    private readonly List<string> _mainCreated = [];
    private ServerProcess? _berthServer;
    private BerthApi? _api;
    private string? _token;
    private string? _containerId;
    // The main server's ingress, where the deploy, ingress and rollback figures send their traffic.
    private Uri? _ingress;

    public BenchRun(BenchOptions options, Results results)
    {
        _options = options;
        _results = results;
        _ownsWorkDirectory = options.WorkDirectory is null;
        _workDirectory = options.WorkDirectory ?? Directory.CreateTempSubdirectory("berth-bench-").FullName;
        Directory.CreateDirectory(_workDirectory);
        // Written as containers are created so that a wrapper script can still clean up after a crash.
        _idsFile = Path.Combine(_workDirectory, "berth-container-ids.txt");
        _docker = new DirectDocker(options.DockerHost, options.RunId);
    }

    public bool AnyServerLog => _servers.Count > 0;

    public async Task<IReadOnlyList<string>> DescribeMachineAsync(CancellationToken cancellationToken)
    {
        var lines = new List<string>
        {
            $"Date (UTC): {TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm:ss}",
            $"Machine: {Environment.ProcessorCount} cores, load average {LoadAverage()} (1, 5, 15 min) at start",
            $"OS: {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; .NET {Environment.Version}",
        };
        lines.Add($"Docker engine: {await _docker.VersionAsync(cancellationToken)} at {_docker.Endpoint}");
        if (_options.Sections.Contains("throughput") || _options.Sections.Contains("ingress") || _options.Sections.Contains("auth"))
        {
            lines.Add($"wrk: {await Wrk.VersionAsync(_options.Wrk, cancellationToken)}");
        }
        lines.Add($"Run id: {_options.RunId}; image {_options.Image}");
        return lines;
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var wanted = _options.Sections;
        var needsContainer = wanted.Contains("lifecycle") || wanted.Contains("throughput") || wanted.Contains("kill") || wanted.Contains("auth");
        var needsBerth = !_options.ReferenceOnly && (needsContainer
            || wanted.Contains("logs-latency") || wanted.Contains("logs-throughput") || wanted.Contains("commands") || wanted.Contains("terminals")
            || wanted.Contains("deploy") || wanted.Contains("ingress") || wanted.Contains("rollback"));
        string? berthProblem = null;
        if (needsBerth)
        {
            try
            {
                await StartBerthAsync(needsContainer, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                berthProblem = Explain(e);
                Log.Info($"Berth is not usable: {berthProblem}");
                _results.Note($"Berth is not usable: {berthProblem}");
            }
        }

        if (wanted.Contains("lifecycle"))
        {
            await SectionAsync(LifecycleFigures, hasReference: true, berthProblem, LifecycleAsync, cancellationToken);
        }
        if (wanted.Contains("throughput"))
        {
            await SectionAsync(ThroughputFigures, hasReference: true, berthProblem, ThroughputAsync, cancellationToken);
        }
        if (wanted.Contains("auth"))
        {
            await SectionAsync(AuthFigures, hasReference: false, berthProblem, AuthAsync, cancellationToken);
        }
        if (wanted.Contains("kill"))
        {
            await SectionAsync(KillFigures, hasReference: false, berthProblem, KillAsync, cancellationToken);
        }
        if (wanted.Contains("list"))
        {
            // The list figure starts its own server, so a problem with the first one does not concern it.
            await SectionAsync(ListFigures, hasReference: false, berthProblem: null, ListAsync, cancellationToken);
        }
        if (wanted.Contains("logs-latency"))
        {
            await SectionAsync(LogsLatencyFigures, hasReference: true, berthProblem, LogsLatencyAsync, cancellationToken);
        }
        if (wanted.Contains("logs-throughput"))
        {
            await SectionAsync(LogsThroughputFigures, hasReference: true, berthProblem, LogsThroughputAsync, cancellationToken);
        }
        if (wanted.Contains("metrics"))
        {
            // Its own server too: it needs 100 containers and restarts the server with another setting.
            await SectionAsync(MetricsFigures, hasReference: false, berthProblem: null, MetricsAsync, cancellationToken);
        }
        if (wanted.Contains("commands"))
        {
            await SectionAsync(CommandsFigures, hasReference: true, berthProblem, CommandsAsync, cancellationToken);
        }
        if (wanted.Contains("terminals"))
        {
            await SectionAsync(TerminalsFigures, hasReference: false, berthProblem, TerminalsAsync, cancellationToken);
        }
        if (wanted.Contains("deploy"))
        {
            await SectionAsync(DeployFigures, hasReference: false, berthProblem, DeployAsync, cancellationToken);
        }
        if (wanted.Contains("ingress"))
        {
            await SectionAsync(IngressFigures, hasReference: false, berthProblem, IngressAsync, cancellationToken);
        }
        if (wanted.Contains("rollback"))
        {
            await SectionAsync(RollbackFigures, hasReference: false, berthProblem, RollbackAsync, cancellationToken);
        }
    }

    private static IEnumerable<string> LifecycleFigures => s_operations.Select(op => $"{op}: median latency");
    private static IEnumerable<string> ThroughputFigures => ["GET one container: requests/s", "GET one container: p99 latency"];
    private static IEnumerable<string> KillFigures => ["external kill to failed: median"];
    private static IEnumerable<string> ListFigures => ["list 100 of 1,000: p99 latency"];

    /// <summary>
    /// Runs one section; a failure becomes ERROR rows for its figures and the run goes on with the next.
    /// A section with a reference (direct Docker, bare endpoint) still measures it when Berth is missing.
    /// </summary>
    private async Task SectionAsync(
        IEnumerable<string> figures, bool hasReference, string? berthProblem,
        Func<bool, CancellationToken, Task> section, CancellationToken cancellationToken)
    {
        if (_options.ReferenceOnly && !hasReference)
        {
            _results.Unmeasured(figures, Verdict.Skip, "--reference-only: this figure has no reference to measure");
            return;
        }
        if (berthProblem is not null && !hasReference)
        {
            _results.Unmeasured(figures, Verdict.Error, "Berth is not usable (see below)");
            return;
        }
        var before = _results.Rows.Count;
        try
        {
            await section(_options.ReferenceOnly || berthProblem is not null, cancellationToken);
            if (berthProblem is not null)
            {
                _results.MarkSince(before, Verdict.Error, "Berth is not usable (see below)");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var message = Explain(e);
            Log.Info($"section failed: {message}");
            if (_results.Rows.Count == before)
            {
                _results.Unmeasured(figures, Verdict.Error, message);
            }
            else
            {
                _results.Note($"Interrupted after {_results.Rows.Count - before} figure(s): {message}");
            }
        }
    }

    private static string Explain(Exception e) => e switch
    {
        BenchException => e.Message,
        OperationCanceledException => $"timed out ({e.Message})",
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    private async Task StartBerthAsync(bool createContainer, CancellationToken cancellationToken)
    {
        if (_options.Url is { } url)
        {
            _token = _options.Token!;
            _api = new BerthApi(new Uri(url), _token, _options.OperationTimeout);
            _ingress = new Uri(_options.IngressUrl);
            Log.Info($"using the running Berth at {url}");
        }
        else
        {
            _token = NewToken();
            var instance = $"bench-{_options.RunId}";
            var ingress = $"http://127.0.0.1:{ServerProcess.FreePort()}";
            var server = StartServer("berth", "berth-data", instance, _token, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["DOCKER_HOST"] = _options.DockerHost,
                ["Berth__Ingress__Url"] = ingress,
            });
            await server.WaitReadyAsync(_options.ReadyTimeout, cancellationToken, "/readyz");
            _berthServer = server;
            _ingress = new Uri(ingress);
            _api = new BerthApi(server.BaseAddress, _token, _options.OperationTimeout);
        }
        if (!createContainer)
        {
            return;
        }

        var hostname = $"bench-{_options.RunId}";
        Log.Info($"creating container {hostname} through Berth");
        _containerId = await _api.CreateAsync(hostname, cancellationToken);
        RememberCreated(_containerId);
        _mainCreated.Add(_containerId);
        var state = await _api.WaitForStateAsync(_containerId, ["running", "failed"], TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(100), cancellationToken);
        if (state != "running")
        {
            throw new BenchException($"Container {_containerId} became '{state}' instead of running.");
        }
        Log.Info($"container {_containerId} is running");
    }

    private ServerProcess StartServer(string name, string dataDirectory, string instanceId, string token, Dictionary<string, string> environment)
    {
        var dll = _options.ServerDll ?? throw new BenchException("No Berth.Server.dll: pass --server-dll or run from the repository.");
        var data = Path.Combine(_workDirectory, dataDirectory);
        Directory.CreateDirectory(data);
        environment["Berth__BootstrapAdminToken"] = token;
        environment["Berth__DataDirectory"] = data;
        environment["Berth__DefaultImage"] = _options.Image;
        // Every replica this server creates carries berth.instance=<this>, which cleanup looks for.
        environment["Berth__Docker__InstanceId"] = instanceId;
        // Every server gets an ingress of its own on a free port: the default (8081) may well be taken.
        environment.TryAdd("Berth__Ingress__Url", $"http://127.0.0.1:{ServerProcess.FreePort()}");
        // The load figures send far more than any team would from one token, and open many streams at once.
        environment["Berth__RateLimits__CredentialRate"] = "0";
        environment["Berth__RateLimits__AddressRate"] = "0";
        environment["Berth__RateLimits__StreamsPerUser"] = "0";
        _instanceIds.Add(instanceId);
        var server = ServerProcess.Start(name, dll, Path.Combine(_workDirectory, $"{name}.log"), environment);
        _servers.Add(server);
        return server;
    }

    private async Task LifecycleAsync(bool referenceOnly, CancellationToken cancellationToken)
    {
        var name = $"berth-bench-{_options.RunId}-direct";
        Log.Info($"creating the direct reference container {name}");
        var directId = await _docker.CreateRunningAsync(_options.Image, name, cancellationToken);

        var berth = s_operations.ToDictionary(op => op, _ => new List<double>(), StringComparer.Ordinal);
        var direct = s_operations.ToDictionary(op => op, _ => new List<double>(), StringComparer.Ordinal);
        var cycles = _options.Warmup + _options.Iterations;
        for (var cycle = 0; cycle < cycles; cycle++)
        {
            var measured = cycle >= _options.Warmup;
            // Berth and Docker alternate cycle by cycle so that a change in machine load hits both alike.
            if (!referenceOnly)
            {
                await BerthCycleAsync(measured ? berth : null, cancellationToken);
            }
            await DirectCycleAsync(directId, measured ? direct : null, cancellationToken);
            Log.Info($"lifecycle cycle {cycle + 1}/{cycles}{(measured ? "" : " (warm-up)")}");
        }

        foreach (var op in s_operations)
        {
            var reference = Stats.Median(direct[op]);
            var limit = 1.10 * reference + 10;
            var target = $"≤ 1.10× direct + 10 ms = {Stats.Ms(limit)}";
            var figure = $"{op}: median latency (N={_options.Iterations})";
            var referenceText = $"{Stats.Ms(reference)} direct";
            if (referenceOnly)
            {
                _results.Add(new ResultRow(figure, "n/a", referenceText, target, Verdict.Skip, "reference only"));
                continue;
            }
            var measuredMedian = Stats.Median(berth[op]);
            _results.Add(new ResultRow(figure, $"{Stats.Ms(measuredMedian)} ({measuredMedian / reference:0.00}×)", referenceText, target,
                measuredMedian <= limit ? Verdict.Pass : Verdict.Fail));
        }
    }

    private async Task BerthCycleAsync(Dictionary<string, List<double>>? samples, CancellationToken cancellationToken)
    {
        foreach (var op in s_operations)
        {
            var clock = Stopwatch.StartNew();
            var state = await _api!.OperateAsync(_containerId!, op, cancellationToken);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            if (state != s_stateAfter[op])
            {
                throw new BenchException($"Berth's {op} answered state '{state}', expected '{s_stateAfter[op]}'.");
            }
            samples?[op].Add(elapsed);
        }
    }

    private async Task DirectCycleAsync(string id, Dictionary<string, List<double>>? samples, CancellationToken cancellationToken)
    {
        foreach (var op in s_operations)
        {
            var clock = Stopwatch.StartNew();
            switch (op)
            {
                case "stop":
                    await _docker.StopAsync(id, _options.StopGraceSeconds, cancellationToken);
                    break;
                case "start":
                    await _docker.StartAsync(id, cancellationToken);
                    break;
                case "restart":
                    // Berth's restart is stop then start; Docker's own restart endpoint is the same pair server-side.
                    await _docker.StopAsync(id, _options.StopGraceSeconds, cancellationToken);
                    await _docker.StartAsync(id, cancellationToken);
                    break;
                case "pause":
                    await _docker.PauseAsync(id, cancellationToken);
                    break;
                default:
                    await _docker.UnpauseAsync(id, cancellationToken);
                    break;
            }
            samples?[op].Add(clock.Elapsed.TotalMilliseconds);
        }
    }

    private async Task ThroughputAsync(bool referenceOnly, CancellationToken cancellationToken)
    {
        var documentPath = Path.Combine(_workDirectory, "document.json");
        string path;
        if (referenceOnly)
        {
            path = $"/api/v1/containers/{Guid.CreateVersion7()}";
            await File.WriteAllTextAsync(documentPath, SampleDocument, cancellationToken);
        }
        else
        {
            path = $"/api/v1/containers/{_containerId}";
            // The bare endpoint answers with Berth's own bytes, so both send the same payload.
            await File.WriteAllBytesAsync(documentPath, await _api!.GetRawAsync(_containerId!, cancellationToken), cancellationToken);
        }
        var script = Wrk.WriteScript(_workDirectory, _token ?? NewToken());

        var bareDll = _options.BareDll is { } dll && File.Exists(dll)
            ? dll
            : throw new BenchException($"No Berth.Bench.Bare.dll at {_options.BareDll}; build it first (dotnet build -c Release bench/Berth.Bench.Bare).");
        WrkResult bare;
        var bareServer = ServerProcess.Start("bare", bareDll, Path.Combine(_workDirectory, "bare.log"),
            new Dictionary<string, string>(StringComparer.Ordinal), "--Document", documentPath);
        await using (bareServer)
        {
            await bareServer.WaitReadyAsync(TimeSpan.FromSeconds(60), cancellationToken, "/readyz");
            bare = await WrkAsync("bare", new Uri(bareServer.BaseAddress, path), script, cancellationToken);
        }
        if (bare.Errors.Length > 0)
        {
            throw new BenchException($"wrk against the bare endpoint saw errors: {bare.Errors}");
        }

        var rateTarget = 0.30 * bare.RequestsPerSecond;
        var conditions = $"{_options.WrkConnections} conn, {_options.WrkThreads} threads, {_options.WrkSeconds} s";
        if (referenceOnly)
        {
            _results.Add(new ResultRow($"GET one container: requests/s ({conditions})", "n/a", $"{Stats.Rate(bare.RequestsPerSecond)} bare",
                $"≥ 30% of bare = {Stats.Rate(rateTarget)}", Verdict.Skip, "reference only"));
            _results.Add(new ResultRow($"GET one container: p99 latency ({conditions})", "n/a", $"{Stats.Ms(bare.P99Ms)} bare",
                "< 10 ms", Verdict.Skip, "reference only"));
            return;
        }

        var rateFigure = $"GET one container: requests/s ({conditions})";
        var p99Figure = $"GET one container: p99 latency ({conditions})";
        var bareRate = $"{Stats.Rate(bare.RequestsPerSecond)} bare";
        var bareP99 = $"{Stats.Ms(bare.P99Ms)} bare (p50 {Stats.Ms(bare.P50Ms)})";
        var rateGoal = $"≥ 30% of bare = {Stats.Rate(rateTarget)}";
        WrkResult berth;
        try
        {
            berth = await WrkAsync("berth", new Uri(_api!.BaseAddress, path), script, cancellationToken);
        }
        catch (BenchException e)
        {
            _results.Add(new ResultRow(rateFigure, "n/a", bareRate, rateGoal, Verdict.Error, e.Message));
            _results.Add(new ResultRow(p99Figure, "n/a", bareP99, "< 10 ms", Verdict.Error, e.Message));
            return;
        }
        // Errors (non-2xx answers, socket timeouts) make the rate meaningless, whatever its value.
        var note = berth.Errors.Length > 0 ? berth.Errors : null;
        _results.Add(new ResultRow(rateFigure,
            $"{Stats.Rate(berth.RequestsPerSecond)} ({berth.RequestsPerSecond / bare.RequestsPerSecond:P0} of bare)",
            bareRate, rateGoal,
            note is not null ? Verdict.Error : berth.RequestsPerSecond >= rateTarget ? Verdict.Pass : Verdict.Fail, note));
        _results.Add(new ResultRow(p99Figure,
            $"{Stats.Ms(berth.P99Ms)} (p50 {Stats.Ms(berth.P50Ms)})", bareP99, "< 10 ms",
            note is not null ? Verdict.Error : berth.P99Ms < 10 ? Verdict.Pass : Verdict.Fail, note));
    }

    private async Task<WrkResult> WrkAsync(string name, Uri url, string script, CancellationToken cancellationToken)
    {
        Log.Info($"wrk {name}: {_options.WrkWarmupSeconds} s warm-up, then {_options.WrkSeconds} s measured ({url})");
        await Wrk.MeasureAsync(_options.Wrk, script, url, _options.WrkThreads, _options.WrkConnections, _options.WrkWarmupSeconds, cancellationToken);
        var result = await Wrk.MeasureAsync(_options.Wrk, script, url, _options.WrkThreads, _options.WrkConnections, _options.WrkSeconds, cancellationToken);
        Log.Info($"wrk {name}: {Stats.Rate(result.RequestsPerSecond)}, p50 {Stats.Ms(result.P50Ms)}, p99 {Stats.Ms(result.P99Ms)}, {result.Requests} requests{(result.Errors.Length > 0 ? ", " + result.Errors : "")}");
        return result;
    }

    private async Task KillAsync(bool referenceOnly, CancellationToken cancellationToken)
    {
        var api = _api!;
        var id = _containerId!;
        var toState = new List<double>();
        var afterKill = new List<double>();
        var killCalls = new List<double>();
        var seenStopped = 0;
        for (var run = 0; run < _options.KillRuns; run++)
        {
            var state = await api.GetStateAsync(id, cancellationToken);
            if (state != "running")
            {
                state = await api.OperateAsync(id, state == "paused" ? "resume" : "start", cancellationToken);
                if (state != "running")
                {
                    throw new BenchException($"Starting {id} before a kill answered '{state}'.");
                }
            }
            var replica = await _docker.FindReplicaAsync(id, cancellationToken);

            var clock = Stopwatch.StartNew();
            var kill = await _docker.KillAsync(replica, cancellationToken);
            while ((state = await api.GetStateAsync(id, cancellationToken)) is not ("failed" or "stopped"))
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new BenchException($"Berth still reports '{state}' 30 s after its replica was killed.");
                }
                await Task.Delay(5, cancellationToken);
            }
            var elapsed = clock.Elapsed.TotalMilliseconds;
            toState.Add(elapsed);
            killCalls.Add(kill.TotalMilliseconds);
            afterKill.Add(elapsed - kill.TotalMilliseconds);
            seenStopped += state == "stopped" ? 1 : 0;
            Log.Info($"kill {run + 1}/{_options.KillRuns}: kill call {Stats.Ms(kill.TotalMilliseconds)}, '{state}' after {Stats.Ms(elapsed)}");

            state = await api.OperateAsync(id, "start", cancellationToken);
            if (state != "running")
            {
                throw new BenchException($"Starting {id} after a kill answered '{state}'.");
            }
        }
        var median = Stats.Median(toState);
        _results.Add(new ResultRow($"external kill to failed: median (N={_options.KillRuns}, poll 5 ms)",
            $"{Stats.Ms(median)} from the kill call (max {Stats.Ms(toState.Max())}; {Stats.Ms(Stats.Median(afterKill))} after it returned)",
            $"kill call itself {Stats.Ms(Stats.Median(killCalls))}", "< 500 ms",
            median < 500 ? Verdict.Pass : Verdict.Fail,
            seenStopped > 0 ? $"{seenStopped} run(s) ended 'stopped', not 'failed'" : null));
    }

    private async Task ListAsync(bool referenceOnly, CancellationToken cancellationToken)
    {
        var token = NewToken();
        // An engine that cannot be reached: records are stored and end failed without touching Docker,
        // so the figure measures the store and the API, which is what it is about.
        var nowhere = $"unix://{Path.Combine(_workDirectory, "no-engine.sock")}";
        var server = StartServer("berth-list", "list-data", $"bench-{_options.RunId}-list", token,
            new Dictionary<string, string>(StringComparer.Ordinal) { ["Berth__Docker__Endpoint"] = nowhere });
        // Readiness may include the engine, which this server cannot reach: liveness is enough here.
        await server.WaitReadyAsync(_options.ReadyTimeout, cancellationToken, "/readyz", "/healthz");
        using var api = new BerthApi(server.BaseAddress, token, _options.OperationTimeout);

        var records = _options.ListRecords;
        Log.Info($"creating {records} records on the list server");
        var clock = Stopwatch.StartNew();
        var next = 0;
        var workers = Enumerable.Range(0, 8).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) <= records)
            {
                await api.CreateAsync($"list-{_options.RunId}-{index:D4}", cancellationToken);
                if (index % 200 == 0)
                {
                    Log.Info($"  {index}/{records} created");
                }
            }
        });
        await Task.WhenAll(workers);
        Log.Info($"{records} records created in {clock.Elapsed.TotalSeconds:0.0} s");

        var settled = false;
        var settle = Stopwatch.StartNew();
        while (settle.Elapsed < TimeSpan.FromSeconds(60))
        {
            var (_, provisioning) = await api.ListAsync(1, 1, "provisioning", cancellationToken);
            if (provisioning == 0)
            {
                settled = true;
                break;
            }
            await Task.Delay(500, cancellationToken);
        }
        if (!settled)
        {
            _results.Note("List figure: records were still provisioning after 60 s; measured anyway.");
        }
        var (items, total) = await api.ListAsync(1, 100, null, cancellationToken);
        if (items != Math.Min(100, records) || total < records)
        {
            throw new BenchException($"The list answered {items} items of {total} total; expected 100 of {records}.");
        }

        const string page = "/api/v1/containers?page=1&limit=100";
        for (var i = 0; i < 50; i++)
        {
            await api.DrainAsync(page, cancellationToken);
        }
        var samples = new List<double>(_options.ListRequests);
        for (var i = 0; i < _options.ListRequests; i++)
        {
            var one = Stopwatch.StartNew();
            await api.DrainAsync(page, cancellationToken);
            samples.Add(one.Elapsed.TotalMilliseconds);
        }
        var p99 = Stats.Percentile(samples, 99);
        _results.Add(new ResultRow($"list 100 of {records:N0}: p99 latency ({_options.ListRequests} sequential requests)",
            $"{Stats.Ms(p99)} (p50 {Stats.Ms(Stats.Median(samples))})", "—", "< 50 ms",
            p99 < 50 ? Verdict.Pass : Verdict.Fail));
    }

    public async ValueTask DisposeAsync()
    {
        using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        if (_api is not null && _mainCreated.Count > 0)
        {
            // Removal through Berth first, as a user would; the engine-side cleanup below does not depend on it.
            using var limited = new BerthApi(_api.BaseAddress, _token!, TimeSpan.FromSeconds(30));
            await Task.WhenAll(_mainCreated.Select(async id =>
            {
                try
                {
                    await limited.DeleteAsync(id, cleanup.Token);
                }
                catch (BenchException e)
                {
                    Log.Info($"cleanup: DELETE {id} through Berth failed ({e.Message}); removing through the engine");
                }
            }));
        }
        _api?.Dispose();
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        var labels = new List<(string, string)> { (DirectDocker.BenchLabel, _options.RunId) };
        labels.AddRange(_instanceIds.Distinct(StringComparer.Ordinal).Select(i => ("berth.instance", i)));
        labels.AddRange(_createdIds.Select(i => ("berth.container", i)));
        var removed = await _docker.RemoveLabelledAsync(labels, cleanup.Token);
        Log.Info($"cleanup: removed {removed} engine container(s)");
        _docker.Dispose();

        if (_ownsWorkDirectory)
        {
            try
            {
                Directory.Delete(_workDirectory, recursive: true);
            }
            catch (IOException e)
            {
                Log.Info($"cleanup: could not delete {_workDirectory}: {e.Message}");
            }
        }
    }

    public void PrintServerLogs()
    {
        foreach (var server in _servers)
        {
            Log.Info($"last lines of {server.Name}'s log:\n{server.Tail()}");
        }
    }

    private void RememberCreated(string id)
    {
        _createdIds.Add(id);
        File.AppendAllLines(_idsFile, [id]);
    }

    private static string NewToken() => "berth_pat_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    private const string SampleDocument = """
        {"data":{"id":"0197a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","hostname":"bench-1","image":"berth/busybox:latest","command":null,"env":[],"port":null,"replicas":1,"cpu_cores":1,"memory_mb":512,"disk_gb":18,"health_check":null,"domains":[],"project_id":null,"environment_id":"local","owner_id":"0197a1b2-0000-7000-8000-000000000001","state":"running","observed_at":"2025-01-01T00:00:00Z","created_at":"2025-01-01T00:00:00Z","last_deployed_at":null,"expires_at":null}}
        """;
}
