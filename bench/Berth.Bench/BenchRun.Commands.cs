using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;

namespace Berth.Bench;

internal sealed partial class BenchRun
{
    private static IEnumerable<string> CommandsFigures => ["command `true`: submit to final status, median"];

    private static readonly HashSet<string> s_finalCommandStatuses = new(StringComparer.Ordinal)
    {
        "succeeded", "failed", "timed_out", "canceled",
    };

    /// <summary>
    /// The round trip of a command from its submission to its final status, next to the same command run
    /// directly as Docker runs it (exec create, start attached, output to its end, inspect for the exit
    /// code). The end is seen on the command's WebSocket stream, opened right after the submission; when
    /// the stream is not available, by polling the command every 2 ms.
    /// </summary>
    private async Task CommandsAsync(bool referenceOnly, CancellationToken cancellationToken)
    {
        var (berthId, engineId) = await CreateTargetAsync("cmd", null, referenceOnly, cancellationToken);
        var runs = _options.CommandRuns;
        const int warmup = 3;
        var direct = new List<double>(runs);
        var berth = new List<double>(runs);
        var useStream = true;
        string? streamProblem = null;
        string? berthProblem = null;
        for (var run = 0; run < warmup + runs; run++)
        {
            // Berth and Docker alternate run by run, as in the lifecycle figures.
            var clock = Stopwatch.StartNew();
            var (code, output) = await _docker.ExecAsync(engineId, ["true"], cancellationToken);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            if (code != 0)
            {
                throw new BenchException($"A direct exec of `true` exited with {code}: {output.Trim()}");
            }
            if (run >= warmup)
            {
                direct.Add(elapsed);
            }
            if (berthId is null || berthProblem is not null)
            {
                continue;
            }
            try
            {
                clock.Restart();
                var commandId = await _api!.SubmitCommandAsync(berthId, ["true"], cancellationToken);
                var status = (string?)null;
                // A run that tried the stream and fell back to polling paid for both: it is not counted.
                var counted = true;
                if (useStream)
                {
                    try
                    {
                        status = await StreamToEndAsync(commandId, cancellationToken);
                    }
                    catch (BenchException e)
                    {
                        useStream = false;
                        counted = false;
                        streamProblem = e.Message;
                        Log.Info($"commands: the stream is not usable ({e.Message}); polling instead");
                    }
                }
                status ??= await PollToEndAsync(commandId, cancellationToken);
                elapsed = clock.Elapsed.TotalMilliseconds;
                // Not timed: the record must say what the stream said.
                var final = await _api.GetCommandStatusAsync(commandId, cancellationToken);
                if (final != "succeeded")
                {
                    throw new BenchException($"Command {commandId} (`true`) ended '{final}', not succeeded.");
                }
                if (run >= warmup && counted)
                {
                    berth.Add(elapsed);
                }
            }
            catch (BenchException e)
            {
                berthProblem = e.Message;
            }
        }

        var reference = Stats.Median(direct);
        var limit = (1.2 * reference) + 20;
        var figure = $"command `true`: submit to final status, median (N={runs})";
        var referenceText = $"{Stats.Ms(reference)} direct exec";
        var target = $"≤ 1.2× direct + 20 ms = {Stats.Ms(limit)}";
        if (referenceOnly)
        {
            _results.Add(new ResultRow(figure, "n/a", referenceText, target, Verdict.Skip, "reference only"));
            return;
        }
        if (berthProblem is not null || berth.Count == 0)
        {
            _results.Add(new ResultRow(figure, "n/a", referenceText, target, Verdict.Error, berthProblem ?? "no run was measured"));
            return;
        }
        var median = Stats.Median(berth);
        var how = useStream ? "end seen on the stream" : $"polled every 2 ms; stream not usable: {streamProblem}";
        _results.Add(new ResultRow(figure, $"{Stats.Ms(median)} ({median / reference:0.00}×; max {Stats.Ms(berth.Max())})", referenceText, target,
            median <= limit ? Verdict.Pass : Verdict.Fail, how));
    }

    /// <summary>
    /// Reads the command's stream until its final frame (a JSON object naming the exit or a final status)
    /// or the server's close; returns "streamed". Fails when the stream cannot be opened.
    /// </summary>
    private async Task<string> StreamToEndAsync(string commandId, CancellationToken cancellationToken)
    {
        using var socket = await _api!.ConnectWebSocketAsync($"/api/v1/commands/{commandId}/stream", cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), limit.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return "streamed";
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }
                var isFinal = result.MessageType == WebSocketMessageType.Text && IsFinalFrame(message.GetBuffer().AsMemory(0, (int)message.Length));
                message.SetLength(0);
                if (isFinal)
                {
                    await CloseQuietlyAsync(socket);
                    return "streamed";
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BenchException($"The stream of command {commandId} did not end within 30 s.");
        }
        catch (WebSocketException e)
        {
            throw new BenchException($"The stream of command {commandId} broke: {e.Message}", e);
        }
    }

    private static bool IsFinalFrame(ReadOnlyMemory<byte> text)
    {
        try
        {
            using var frame = JsonDocument.Parse(text);
            var root = frame.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }
            if (root.TryGetProperty("type", out var type) && type.GetString() is "exit" or "end" or "finished" or "done" or "completed")
            {
                return true;
            }
            if (root.TryGetProperty("exit_code", out _))
            {
                return true;
            }
            var status = root.TryGetProperty("status", out var s) ? s
                : root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object && data.TryGetProperty("status", out var ds) ? ds
                : default;
            return status.ValueKind == JsonValueKind.String && s_finalCommandStatuses.Contains(status.GetString()!);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private async Task<string> PollToEndAsync(string commandId, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = await _api!.GetCommandStatusAsync(commandId, cancellationToken);
            if (s_finalCommandStatuses.Contains(status))
            {
                return status;
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new BenchException($"Command {commandId} is still '{status}' 30 s after its submission.");
            }
            await Task.Delay(2, cancellationToken);
        }
    }

    private static async Task CloseQuietlyAsync(WebSocket socket)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            socket.Abort();
        }
    }
}
