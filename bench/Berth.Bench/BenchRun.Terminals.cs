using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;

namespace Berth.Bench;

internal sealed partial class BenchRun
{
    private static IEnumerable<string> TerminalsFigures => ["terminals: concurrent sessions that echo", "terminals: server memory per session"];

    /// <summary>
    /// Many terminal sessions open at once, spread over a few containers: each types a command whose output
    /// differs from its own echo, and must see that output. With all of them open, the server's resident
    /// memory is read again; closing them must leave no process behind in the containers.
    /// </summary>
    private async Task TerminalsAsync(bool referenceOnly, CancellationToken cancellationToken)
    {
        var targets = new List<(string BerthId, string EngineId)>();
        for (var i = 0; i < _options.TerminalContainers; i++)
        {
            var (berthId, engineId) = await CreateTargetAsync($"tty{i}", null, direct: false, cancellationToken);
            targets.Add((berthId!, engineId));
        }
        var baseline = new int[targets.Count];
        for (var i = 0; i < targets.Count; i++)
        {
            baseline[i] = await _docker.TerminalProcessCountAsync(targets[i].EngineId, cancellationToken);
        }

        // One session first, not counted: the server's first terminal pays for code loading and JIT.
        await using (var warm = new TerminalClient(_api!, targets[0].BerthId, -1))
        {
            await warm.RunAsync(TimeSpan.FromSeconds(60), cancellationToken);
            if (!warm.Echoed)
            {
                throw new BenchException($"The warm-up terminal session failed: {warm.Problem}");
            }
        }
        var rssBefore = _berthServer?.ResidentBytes();

        var total = _options.Terminals;
        Log.Info($"terminals: opening {total} sessions over {targets.Count} containers");
        var sessions = Enumerable.Range(0, total).Select(n => new TerminalClient(_api!, targets[n % targets.Count].BerthId, n)).ToList();
        var clock = Stopwatch.StartNew();
        try
        {
            // At most 16 handshakes in flight: the sessions are concurrent, the opening is paced like a busy UI.
            using var gate = new SemaphoreSlim(16);
            await Task.WhenAll(sessions.Select(async session =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    await session.RunAsync(TimeSpan.FromSeconds(90), cancellationToken);
                }
                finally
                {
                    gate.Release();
                }
            }));
            var opened = clock.Elapsed;
            var open = sessions.Count(s => s.IsOpen);
            var echoed = sessions.Count(s => s.Echoed);
            var rssOpen = _berthServer?.ResidentBytes();
            Log.Info($"terminals: {echoed}/{total} echoed, {open} still open, in {opened.TotalSeconds:0.0} s");

            var failures = sessions.Where(s => !s.Echoed).Select(s => s.Problem).Distinct(StringComparer.Ordinal).Take(3).ToList();
            var note = failures.Count > 0 ? $"failures: {string.Join("; ", failures)}" : null;
            _results.Add(new ResultRow($"terminals: {total} concurrent sessions over {targets.Count} containers that echo",
                $"{echoed}/{total} (all open after {opened.TotalSeconds:0.0} s: {open}/{total})", "—", $"{total}/{total}",
                echoed == total && open == total ? Verdict.Pass : Verdict.Fail, note));

            if (rssBefore is { } before && rssOpen is { } after)
            {
                var perSession = (after - before) / (double)total;
                _results.Add(new ResultRow($"terminals: server memory per session ({total} open)",
                    $"{perSession / 1024:N0} KiB (RSS {before / 1048576.0:N0} → {after / 1048576.0:N0} MiB)", "—", "reported",
                    Verdict.Info, "RSS difference over the sessions; includes garbage not yet collected"));
            }
            else
            {
                _results.Add(new ResultRow("terminals: server memory per session", "n/a", "—", "reported", Verdict.Skip,
                    "the server was not started by the bench (--url): its memory cannot be read"));
            }
        }
        finally
        {
            await Task.WhenAll(sessions.Select(s => s.DisposeAsync().AsTask()));
        }

        // Closing a session ends its shell and what it started; give the server a moment, then count what is left.
        var leftover = 0;
        var leftClock = Stopwatch.StartNew();
        do
        {
            leftover = 0;
            for (var i = 0; i < targets.Count; i++)
            {
                leftover += Math.Max(0, await _docker.TerminalProcessCountAsync(targets[i].EngineId, cancellationToken) - baseline[i]);
            }
            if (leftover == 0)
            {
                break;
            }
            await Task.Delay(500, cancellationToken);
        }
        while (leftClock.Elapsed < TimeSpan.FromSeconds(60));
        if (leftover > 0)
        {
            _results.Note($"Terminals: {leftover} process(es) with a terminal were still running in the containers 60 s after the sessions closed.");
        }
        Log.Info($"terminals: {leftover} process(es) left after closing");
    }

    /// <summary>One terminal session: connect, type a command, wait for its output; closed on disposal.</summary>
    private sealed class TerminalClient(BerthApi api, string containerId, int number) : IAsyncDisposable
    {
        private ClientWebSocket? _socket;

        public bool Echoed { get; private set; }
        public string Problem { get; private set; } = "not run";
        public bool IsOpen => _socket?.State == WebSocketState.Open;

        public async Task RunAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout);
            // The shell computes part of the answer, so the TTY's echo of the typed line never matches it.
            var typed = $"echo T-{number}-$((6*7))\n";
            var expected = $"T-{number}-42";
            var seen = new StringBuilder();
            try
            {
                _socket = await api.ConnectWebSocketAsync($"/api/v1/containers/{containerId}/terminal?cols=80&rows=24", limit.Token);
                await _socket.SendAsync(Encoding.ASCII.GetBytes(typed), WebSocketMessageType.Binary, endOfMessage: true, limit.Token);
                var buffer = new byte[4096];
                while (true)
                {
                    var result = await _socket.ReceiveAsync(buffer.AsMemory(), limit.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        Problem = $"closed by the server ({_socket.CloseStatus} {_socket.CloseStatusDescription})";
                        return;
                    }
                    seen.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
                    if (seen.ToString().Contains(expected, StringComparison.Ordinal))
                    {
                        Echoed = true;
                        Problem = "";
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Problem = $"no '{expected}' within {timeout.TotalSeconds:0} s";
            }
            catch (Exception e) when (e is BenchException or WebSocketException or IOException)
            {
                Problem = e.Message;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_socket is null)
            {
                return;
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bench done", timeout.Token);
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
            {
                _socket.Abort();
            }
            _socket.Dispose();
        }
    }
}
