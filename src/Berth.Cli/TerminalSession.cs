using System.Globalization;
using System.Net.WebSockets;
using System.Text;

namespace Berth.Cli;

/// <summary>
/// <c>berth terminal</c>: local keys to the remote shell as binary frames, its screen to the local
/// output, window sizes as resize control frames. Ends when the server closes the socket.
/// </summary>
internal sealed class TerminalSession(BerthEndpoint endpoint, TerminalIo io)
{
    private const byte EndOfTransmission = 0x04;
    private const int BufferSize = 16 * 1024;
    private const int MaxSize = 1000;

    private readonly SemaphoreSlim _send = new(1, 1);

    public async Task<int> RunAsync(string container, string? shell, CancellationToken cancellationToken)
    {
        var path = PathFor(container, shell, io.WindowSize());
        var socket = await ConnectAsync(path, cancellationToken);
        using (socket)
        using (var raw = io.InputIsTerminal ? io.EnterRawMode() : null)
        using (var stopInput = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        using (io.InputIsTerminal ? io.WatchWindowSize(() => _ = SendWindowSizeAsync(socket, stopInput.Token)) : null)
        {
            var output = ReceiveAsync(socket, cancellationToken);
            var input = SendInputAsync(socket, stopInput.Token);
            var (status, description) = await output;
            await stopInput.CancelAsync();
            if (!io.InputIsTerminal)
            {
                // A piped input is a stream that honours cancellation; a console read may not, and the
                // process is about to end anyway.
                await Quietly(input);
            }
            raw?.Dispose();
            if (status == WebSocketCloseStatus.NormalClosure)
            {
                return Cli.Ok;
            }
            await io.Error.WriteLineAsync(status is null
                ? "berth: the connection to the server was lost"
                : $"berth: the terminal closed: {description} ({(int)status})");
            return Cli.Failed;
        }
    }

    private static string PathFor(string container, string? shell, (int Columns, int Rows)? size)
    {
        var query = new List<string>();
        if (size is { } s)
        {
            query.Add(string.Create(CultureInfo.InvariantCulture, $"cols={Math.Clamp(s.Columns, 1, MaxSize)}"));
            query.Add(string.Create(CultureInfo.InvariantCulture, $"rows={Math.Clamp(s.Rows, 1, MaxSize)}"));
        }
        if (!string.IsNullOrEmpty(shell))
        {
            query.Add($"shell={Uri.EscapeDataString(shell)}");
        }
        var path = $"api/v1/containers/{Uri.EscapeDataString(container)}/terminal";
        return query.Count == 0 ? path : $"{path}?{string.Join('&', query)}";
    }

    private async Task<WebSocket> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await endpoint.ConnectAsync(endpoint.WebSocketUri(path), cancellationToken);
        }
        catch (Exception e) when (e is WebSocketException or InvalidOperationException or HttpRequestException or IOException)
        {
            // The handshake does not carry the server's explanation; the same request as plain HTTP is
            // refused the same way (or, when it would have been accepted, with "WebSocket only"), with it.
            throw new BerthCliException(await ExplainRefusalAsync(path, e, cancellationToken));
        }
    }

    private async Task<string> ExplainRefusalAsync(string path, Exception failure, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await endpoint.Http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return $"cannot open the terminal: {failure.Message}";
            }
            var message = await BerthEndpoint.DescribeErrorAsync(response, cancellationToken);
            return (int)response.StatusCode == 401 && !endpoint.HasToken
                ? $"{message}; set BERTH_TOKEN to a personal access token"
                : message;
        }
        catch (HttpRequestException e)
        {
            return $"cannot reach {endpoint.BaseUrl}: {e.Message}";
        }
    }

    // Set by the first screen output: the shell is up and reading its terminal.
    private readonly TaskCompletionSource _shellReady = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task<(WebSocketCloseStatus? Status, string? Description)> ReceiveAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await Quietly(socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken));
                    return (socket.CloseStatus, socket.CloseStatusDescription);
                }
                await io.Output.WriteAsync(buffer.AsMemory(0, result.Count), cancellationToken);
                await io.Output.FlushAsync(cancellationToken);
                _shellReady.TrySetResult();
            }
        }
        catch (WebSocketException)
        {
            return (null, null);
        }
    }

    private async Task SendInputAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        try
        {
            if (!io.InputIsTerminal)
            {
                // Piped input is all there at once: hand it over when the shell shows its prompt, so that a
                // shell that flushes typeahead while starting cannot lose it (and the final ^D with it).
                await _shellReady.Task.WaitAsync(cancellationToken);
            }
            while (true)
            {
                var read = await io.Input.ReadAsync(buffer.AsMemory(), cancellationToken);
                if (read == 0)
                {
                    break;
                }
                await SendAsync(socket, buffer.AsMemory(0, read), WebSocketMessageType.Binary, cancellationToken);
            }
            if (!io.InputIsTerminal)
            {
                // Piped input ends like a user pressing ^D at the prompt: the shell reads end-of-file and exits.
                await SendAsync(socket, new[] { EndOfTransmission }, WebSocketMessageType.Binary, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // The session is over.
        }
    }

    private async Task SendWindowSizeAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        if (io.WindowSize() is not { } size)
        {
            return;
        }
        var message = string.Create(CultureInfo.InvariantCulture,
            $$"""{"type":"resize","cols":{{Math.Clamp(size.Columns, 1, MaxSize)}},"rows":{{Math.Clamp(size.Rows, 1, MaxSize)}}}""");
        try
        {
            await SendAsync(socket, Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // A resize racing the end of the session changes nothing.
        }
    }

    private async Task SendAsync(WebSocket socket, ReadOnlyMemory<byte> bytes, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        // Keys and resizes come from different threads; a WebSocket takes one send at a time.
        await _send.WaitAsync(cancellationToken);
        try
        {
            await socket.SendAsync(bytes, type, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _send.Release();
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // Best effort at the end of a session.
        }
    }
}
