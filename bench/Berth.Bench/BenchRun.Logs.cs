using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Berth.Bench;

internal sealed partial class BenchRun
{
    private static IEnumerable<string> LogsLatencyFigures => ["logs: line to follow client, p99"];
    private static IEnumerable<string> LogsThroughputFigures => ["logs: follow throughput, lines/s"];

    /// <summary>
    /// From a line written in the container to the line seen by a follow client, for Berth's
    /// <c>/logs?follow=true&amp;tail=0</c> and, at the same time on the same container, `docker logs -f`.
    /// One long-running exec copies each line it reads on its stdin to the container's stdout (PID 1 is
    /// the init process; its fd 1 is the container's stdout), so exec's own start-up is not timed.
    /// </summary>
    private async Task LogsLatencyAsync(bool referenceOnly, CancellationToken cancellationToken)
    {
        var (berthId, engineId) = await CreateTargetAsync("logs", null, referenceOnly, cancellationToken);
        var tag = _options.RunId;
        var marker = new Regex($@"(MARK|WARM)-([0-9]+)-{tag}(?![0-9a-z])", RegexOptions.CultureInvariant);
        var berthSeen = new ConcurrentDictionary<int, long>();
        var dockerSeen = new ConcurrentDictionary<int, long>();
        // Warm-up lines are numbered below zero so that they share the dictionaries with the measured ones.
        Action<string> Recorder(ConcurrentDictionary<int, long> seen) => line =>
        {
            var now = Stopwatch.GetTimestamp();
            if (marker.Match(line) is { Success: true } match)
            {
                var n = int.Parse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture);
                seen.TryAdd(match.Groups[1].ValueSpan is "WARM" ? -1 - n : n, now);
            }
        };

        var dockerStream = await _docker.FollowLogsAsync(engineId, "0", cancellationToken);
        await using var docker = Follower.Start("docker logs -f", dockerStream,
            ct => new LineReader(Recorder(dockerSeen)).ReadAsync(dockerStream, ct), cancellationToken);
        var berth = berthId is null ? null
            : BerthFollower($"/api/v1/containers/{berthId}/logs?follow=true&tail=0", Recorder(berthSeen), cancellationToken);
        string? berthProblem = null;
        try
        {
            using var writer = await _docker.StartWithStdinAsync(engineId,
                ["sh", "-c", "while IFS= read -r l; do echo \"$l\" > /proc/1/fd/1; done"], cancellationToken);
            async Task<long> SendAsync(string line)
            {
                var bytes = Encoding.ASCII.GetBytes(line + "\n");
                var sent = Stopwatch.GetTimestamp();
                await writer.WriteAsync(bytes, 0, bytes.Length, cancellationToken);
                return sent;
            }

            // Warm-up: a new replica's output may only be collected from the collector's next scan, and the
            // first lines pay for JIT and connection set-up; these lines are not timed.
            var warm = 0;
            var warmClock = Stopwatch.StartNew();
            var berthWarm = berth is null;
            var dockerWarm = false;
            while ((!(berthWarm || berth!.Ended is not null) || !dockerWarm || warm < 10) && warmClock.Elapsed < TimeSpan.FromSeconds(60))
            {
                await SendAsync($"WARM-{warm}-{tag}");
                var index = -1 - warm;
                await UntilAsync(() => dockerSeen.ContainsKey(index) && (berth is null || berthSeen.ContainsKey(index) || berth.Ended is not null),
                    TimeSpan.FromMilliseconds(500), cancellationToken);
                berthWarm |= berthSeen.ContainsKey(index);
                dockerWarm |= dockerSeen.ContainsKey(index);
                warm++;
            }
            if (!dockerWarm)
            {
                throw new BenchException($"`docker logs -f` saw none of {warm} warm-up lines within 60 s ({docker.Ended ?? "stream open"}).");
            }
            if (berth is not null && !berthWarm)
            {
                berthProblem = $"Berth's follow stream saw none of {warm} warm-up lines within 60 s ({berth.Ended ?? "stream open"}).";
                await berth.DisposeAsync();
                berth = null;
            }

            var count = _options.LogMarkers;
            Log.Info($"logs latency: {count} lines{(berth is null ? " (docker only)" : "")}");
            var sentAt = new long[count + 1];
            var missed = 0;
            for (var n = 1; n <= count; n++)
            {
                sentAt[n] = await SendAsync($"MARK-{n}-{tag}");
                var index = n;
                if (!await UntilAsync(() => dockerSeen.ContainsKey(index) && (berth is null || berthSeen.ContainsKey(index)),
                    TimeSpan.FromSeconds(5), cancellationToken))
                {
                    missed++;
                }
                // A short pause, so that each line is a line of its own rather than part of a burst.
                await Task.Delay(5, cancellationToken);
            }

            List<double> Latencies(ConcurrentDictionary<int, long> seen) =>
                [.. Enumerable.Range(1, count).Where(seen.ContainsKey).Select(n => Between(sentAt[n], seen[n]))];
            var dockerLatencies = Latencies(dockerSeen);
            if (dockerLatencies.Count < count)
            {
                throw new BenchException($"`docker logs -f` missed {count - dockerLatencies.Count} of {count} lines.");
            }
            var figure = $"logs: line to follow client, p99 (N={count}, tail=0)";
            var reference = $"{Stats.Ms(Stats.Percentile(dockerLatencies, 99))} docker logs -f (median {Stats.Ms(Stats.Median(dockerLatencies))})";
            const string target = "p99 < 100 ms";
            if (referenceOnly)
            {
                _results.Add(new ResultRow(figure, "n/a", reference, target, Verdict.Skip, "reference only"));
                return;
            }
            if (berth is null)
            {
                _results.Add(new ResultRow(figure, "n/a", reference, target, Verdict.Error, berthProblem));
                return;
            }
            var berthLatencies = Latencies(berthSeen);
            var lost = count - berthLatencies.Count;
            if (lost == count)
            {
                _results.Add(new ResultRow(figure, "n/a", reference, target, Verdict.Error, $"Berth's follow client saw none of the lines ({berth.Ended ?? "stream open"})"));
                return;
            }
            var p99 = Stats.Percentile(berthLatencies, 99);
            _results.Add(new ResultRow(figure, $"{Stats.Ms(p99)} (median {Stats.Ms(Stats.Median(berthLatencies))})", reference, target,
                lost == 0 && p99 < 100 ? Verdict.Pass : Verdict.Fail,
                lost > 0 ? $"{lost} line(s) never reached Berth's follow client within 5 s" : null));
        }
        finally
        {
            if (berth is not null)
            {
                await berth.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// A container that prints a burst of lines as fast as it can once told to; Berth's follow client and
    /// `docker logs -f` read it at the same time. Each client's rate is the lines it received over the time
    /// from the first burst line either client saw to the last line it saw itself.
    /// </summary>
    private async Task LogsThroughputAsync(bool referenceOnly, CancellationToken cancellationToken)
    {
        var tag = _options.RunId;
        var lines = _options.BurstLines;
        var burstLine = $"BURST-{tag}";
        var ready = $"READY-{tag}";
        var end = $"END-{tag}";
        // `yes | head` writes at memory speed: the engine and the clients are what is measured, not the shell.
        var script = $"echo {ready}; while [ ! -f /tmp/go ]; do sleep 0.05; done; yes {burstLine} | head -n {lines}; echo {end}; exec sleep infinity";
        var (berthId, engineId) = await CreateTargetAsync("burst", ["sh", "-c", script], referenceOnly, cancellationToken);

        var dockerCount = new BurstCounter(burstLine, ready, end);
        var berthCount = new BurstCounter(burstLine, ready, end);
        var dockerStream = await _docker.FollowLogsAsync(engineId, "10", cancellationToken);
        await using var docker = Follower.Start("docker logs -f", dockerStream,
            ct => new LineReader(dockerCount.OnLine).ReadAsync(dockerStream, ct), cancellationToken);
        var berth = berthId is null ? null
            : BerthFollower($"/api/v1/containers/{berthId}/logs?follow=true&tail=10", berthCount.OnLine, cancellationToken);
        string? berthProblem = null;
        try
        {
            // Both clients have the container's first line: Berth is collecting this replica, the burst may start.
            if (!await UntilAsync(() => dockerCount.Ready, TimeSpan.FromSeconds(60), cancellationToken))
            {
                throw new BenchException($"`docker logs -f` did not show the container's first line within 60 s ({docker.Ended ?? "stream open"}).");
            }
            if (berth is not null && !(await UntilAsync(() => berthCount.Ready || berth.Ended is not null, TimeSpan.FromSeconds(60), cancellationToken) && berthCount.Ready))
            {
                berthProblem = $"Berth's follow stream did not show the container's first line within 60 s ({berth.Ended ?? "stream open"}).";
                await berth.DisposeAsync();
                berth = null;
            }

            Log.Info($"logs throughput: {lines:N0} lines{(berth is null ? " (docker only)" : "")}");
            var (code, output) = await _docker.ExecAsync(engineId, ["touch", "/tmp/go"], cancellationToken);
            if (code != 0)
            {
                throw new BenchException($"touch /tmp/go in the burst container failed (exit {code}): {output.Trim()}");
            }
            var limit = TimeSpan.FromSeconds(120);
            if (!await UntilAsync(() => dockerCount.EndAt != 0, limit, cancellationToken))
            {
                throw new BenchException($"`docker logs -f` did not reach the end of the burst within 120 s ({dockerCount.Lines:N0} lines).");
            }
            var berthDone = berth is not null && await UntilAsync(() => berthCount.EndAt != 0, limit, cancellationToken);

            var start = berthCount.FirstAt == 0 ? dockerCount.FirstAt : Math.Min(dockerCount.FirstAt, berthCount.FirstAt);
            double Rate(BurstCounter counter) => counter.Lines / (Between(start, counter.EndAt) / 1000);
            var dockerRate = Rate(dockerCount);
            var figure = $"logs: follow throughput, lines/s (burst of {lines:N0})";
            var reference = $"{LinesRate(dockerRate)} docker logs -f{(dockerCount.Lines == lines ? "" : $" ({dockerCount.Lines:N0} lines)")}";
            var goal = $"≥ 0.8× docker = {LinesRate(0.8 * dockerRate)}";
            if (referenceOnly)
            {
                _results.Add(new ResultRow(figure, "n/a", reference, goal, Verdict.Skip, "reference only"));
                return;
            }
            if (berth is null)
            {
                _results.Add(new ResultRow(figure, "n/a", reference, goal, Verdict.Error, berthProblem));
                return;
            }
            if (!berthDone)
            {
                _results.Add(new ResultRow(figure, $"{berthCount.Lines:N0} lines, no end", reference, goal, Verdict.Error,
                    $"Berth's follow client did not see the burst's last line within 120 s of docker's ({berth.Ended ?? "stream open"})"));
                return;
            }
            var berthRate = Rate(berthCount);
            var missing = lines - berthCount.Lines;
            var note = missing > 0
                ? $"{missing:N0} lines missing; the stream reported {berthCount.Dropped:N0} dropped"
                : null;
            _results.Add(new ResultRow(figure, $"{LinesRate(berthRate)} ({berthRate / dockerRate:0.00}×)", reference, goal,
                berthRate >= 0.8 * dockerRate && missing == 0 ? Verdict.Pass : Verdict.Fail, note));
        }
        finally
        {
            if (berth is not null)
            {
                await berth.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Berth's follow client, opened in the background: a server may hold its answer's headers until the
    /// first line, so waiting for them here could wait for lines nobody has written yet.
    /// </summary>
    private Follower BerthFollower(string path, Action<string> onLine, CancellationToken cancellationToken) =>
        Follower.Start("berth", NoResource.Instance, async ct =>
        {
            using var response = await _api!.OpenStreamAsync(path, null, ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            await new LineReader(onLine).ReadAsync(body, ct);
        }, cancellationToken);

    private sealed class NoResource : IDisposable
    {
        public static readonly NoResource Instance = new();

        public void Dispose()
        {
            // The reading owns its response; cancelling it releases the connection.
        }
    }

    private static string LinesRate(double perSecond) => perSecond.ToString("N0", CultureInfo.InvariantCulture) + " lines/s";

    /// <summary>Counts the burst lines one client receives and notes when the first and the last arrived.</summary>
    private sealed partial class BurstCounter(string burstLine, string ready, string end)
    {
        private int _lines;
        private long _dropped;
        private long _firstAt;
        private long _endAt;
        private volatile bool _ready;

        public int Lines => Volatile.Read(ref _lines);
        public long Dropped => Interlocked.Read(ref _dropped);
        public long FirstAt => Interlocked.Read(ref _firstAt);
        public long EndAt => Interlocked.Read(ref _endAt);
        public bool Ready => _ready;

        // Called from one reader only; the fields are read by the driver's loop.
        public void OnLine(string line)
        {
            if (line.Contains(burstLine, StringComparison.Ordinal))
            {
                if (_lines == 0)
                {
                    Interlocked.Exchange(ref _firstAt, Stopwatch.GetTimestamp());
                }
                Interlocked.Increment(ref _lines);
            }
            else if (line.Contains(end, StringComparison.Ordinal))
            {
                Interlocked.Exchange(ref _endAt, Stopwatch.GetTimestamp());
            }
            else if (line.Contains(ready, StringComparison.Ordinal))
            {
                _ready = true;
            }
            else if (DroppedRegex().Match(line) is { Success: true } dropped)
            {
                Interlocked.Add(ref _dropped, long.Parse(dropped.Groups[1].ValueSpan, CultureInfo.InvariantCulture));
            }
        }

        [GeneratedRegex(@"([0-9]+) lines dropped")]
        private static partial Regex DroppedRegex();
    }
}
