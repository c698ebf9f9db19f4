using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Berth.Core.Engine;
using Berth.Core.Terminal;

namespace Berth.Server.Terminal;

/// <summary>
/// Joins a WebSocket to a terminal session with two pumps of bounded buffers, one per direction; each
/// session has its own, so sessions never wait on each other.
/// <list type="bullet">
/// <item>To the client: binary frames of the screen output; then a close frame, 1000 with
/// "Process exited with code N" when the shell ends, 1001 when the server shuts down, 1008 when the
/// user is banned or the token revoked, 1011 when the engine fails.</item>
/// <item>From the client: binary frames are keystrokes, as are text frames, except that a text frame
/// holding a JSON object with a string <c>type</c> is a control message:
/// <c>{"type":"resize","cols":120,"rows":40}</c> resizes the TTY and <c>{"type":"input","data":"ls\r"}</c>
/// types its data. Unknown types are ignored. To send bytes that look like a control message as
/// keystrokes, send them in a binary frame.</item>
/// <item>Closing the socket ends the shell and every process it started.</item>
/// </list>
/// </summary>
internal static partial class TerminalBridge
{
    private const int BufferSize = 16 * 1024;
    private const int MaxControlBytes = 4 * 1024;
    private const int MaxCloseReasonBytes = 123;
    private static readonly TimeSpan s_closeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_killTimeout = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(
        WebSocket socket, ITerminalSession session, CancellationToken stopping, CancellationToken revoked, ILogger logger)
    {
        using var abort = new CancellationTokenSource();
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stoppingRegistration = stopping.Register(() => stopped.TrySetResult());
        using var revokedRegistration = revoked.Register(() => stopped.TrySetResult());

        var input = PumpInputAsync(socket, session, logger, abort.Token);
        var output = PumpOutputAsync(socket, session, abort.Token);
        var first = await Task.WhenAny(input, output, stopped.Task);
        var reason = "";
        try
        {
            if (first == output)
            {
                var (status, text) = await DescribeEndAsync(output, session, logger);
                reason = text;
                await CloseQuietlyAsync(socket, status, text);
                await WaitQuietlyAsync(input, s_closeTimeout);
            }
            else
            {
                // The client left or the server is stopping: ending the process ends the output, after
                // which the socket is free to send the close.
                await KillQuietlyAsync(session, logger);
                await WaitQuietlyAsync(output, s_closeTimeout);
                if (first == stopped.Task)
                {
                    var (status, text) = stopping.IsCancellationRequested
                        ? (WebSocketCloseStatus.EndpointUnavailable, "Server is shutting down")
                        : (WebSocketCloseStatus.PolicyViolation, "Access revoked: the user was banned or the token revoked");
                    reason = text;
                    await CloseQuietlyAsync(socket, status, text);
                    await WaitQuietlyAsync(input, s_closeTimeout);
                }
                else
                {
                    reason = "Client closed the session";
                    await CloseQuietlyAsync(socket, WebSocketCloseStatus.NormalClosure, "Session closed");
                }
            }
        }
        finally
        {
            await abort.CancelAsync();
            // Also after a normal exit: a job the shell left in the background must not outlive the session.
            await KillQuietlyAsync(session, logger);
            await session.DisposeAsync();
            await WaitQuietlyAsync(Task.WhenAll(input, output), s_closeTimeout);
            Log.Ended(logger, session.Id, reason);
        }
    }

    public static async Task CloseQuietlyAsync(WebSocket socket, WebSocketCloseStatus status, string reason)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }
        using var timeout = new CancellationTokenSource(s_closeTimeout);
        try
        {
            await socket.CloseOutputAsync(status, Truncate(reason), timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The client is gone; there is nobody left to tell.
        }
    }

    private static async Task<(WebSocketCloseStatus Status, string Reason)> DescribeEndAsync(Task output, ITerminalSession session, ILogger logger)
    {
        if (output.Exception?.GetBaseException() is { } failure)
        {
            Log.OutputFailed(logger, session.Id, failure.Message);
            return failure is EngineUnavailableException
                ? (WebSocketCloseStatus.InternalServerError, "The engine connection of the terminal failed")
                : (WebSocketCloseStatus.NormalClosure, "Session closed");
        }
        using var timeout = new CancellationTokenSource(s_closeTimeout);
        try
        {
            var code = await session.GetExitCodeAsync(timeout.Token);
            return (WebSocketCloseStatus.NormalClosure, code is { } c ? $"Process exited with code {c}" : "Process exited");
        }
        catch (Exception e) when (e is EngineUnavailableException or OperationCanceledException)
        {
            return (WebSocketCloseStatus.NormalClosure, "Process exited");
        }
    }

    private static async Task PumpOutputAsync(WebSocket socket, ITerminalSession session, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        while (true)
        {
            var read = await session.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                return;
            }
            // Awaiting each send is the back-pressure: a slow client slows the reads, and the TTY fills up.
            await socket.SendAsync(buffer.AsMemory(0, read), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
        }
    }

    /// <summary>Returns when the client closes or the connection is lost.</summary>
    private static async Task PumpInputAsync(WebSocket socket, ITerminalSession session, ILogger logger, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        var input = new InputWriter(session, logger);
        // A text message that may be a control message is held (up to MaxControlBytes) until it is whole.
        using var held = new MemoryStream();
        var passThrough = false;
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
                var chunk = buffer.AsMemory(0, result.Count);
                if (result.MessageType == WebSocketMessageType.Binary || passThrough)
                {
                    await input.WriteAsync(chunk, cancellationToken);
                    passThrough = passThrough && !result.EndOfMessage;
                    continue;
                }
                if (held.Length == 0 && (chunk.IsEmpty || chunk.Span[0] != (byte)'{'))
                {
                    await input.WriteAsync(chunk, cancellationToken);
                    passThrough = !result.EndOfMessage;
                    continue;
                }
                held.Write(chunk.Span);
                if (held.Length > MaxControlBytes)
                {
                    await input.WriteAsync(held.GetBuffer().AsMemory(0, (int)held.Length), cancellationToken);
                    held.SetLength(0);
                    passThrough = !result.EndOfMessage;
                    continue;
                }
                if (result.EndOfMessage)
                {
                    var message = held.GetBuffer().AsMemory(0, (int)held.Length);
                    if (!await TryControlAsync(message, session, logger, cancellationToken))
                    {
                        await input.WriteAsync(message, cancellationToken);
                    }
                    held.SetLength(0);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The connection is lost or the bridge is ending; either way there is no more input.
        }
    }

    private static async Task<bool> TryControlAsync(ReadOnlyMemory<byte> message, ITerminalSession session, ILogger logger, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message);
        }
        catch (JsonException)
        {
            return false;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                return false;
            }
            switch (type.GetString())
            {
                case "resize":
                    if (root.TryGetProperty("cols", out var cols) && cols.TryGetInt32(out var columns)
                        && root.TryGetProperty("rows", out var rowsElement) && rowsElement.TryGetInt32(out var rows)
                        && TerminalService.IsValidSize(columns, rows))
                    {
                        try
                        {
                            await session.ResizeAsync(columns, rows, cancellationToken);
                        }
                        catch (EngineUnavailableException e)
                        {
                            Log.ControlFailed(logger, session.Id, "resize", e.Message);
                        }
                    }
                    else
                    {
                        Log.ControlIgnored(logger, session.Id, "resize");
                    }
                    break;
                case "input":
                    if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String)
                    {
                        await new InputWriter(session, logger).WriteAsync(Encoding.UTF8.GetBytes(data.GetString()!), cancellationToken);
                    }
                    break;
                default:
                    Log.ControlIgnored(logger, session.Id, "unknown");
                    break;
            }
            return true;
        }
    }

    private static async Task KillQuietlyAsync(ITerminalSession session, ILogger logger)
    {
        using var timeout = new CancellationTokenSource(s_killTimeout);
        try
        {
            await session.KillAsync(timeout.Token);
        }
        catch (Exception e) when (e is EngineUnavailableException or OperationCanceledException)
        {
            Log.KillFailed(logger, session.Id, e.Message);
        }
    }

    private static async Task WaitQuietlyAsync(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or WebSocketException or EngineUnavailableException or IOException)
        {
            // Whatever is still running is cut off by the abort that follows.
        }
    }

    private static string Truncate(string reason)
    {
        if (Encoding.UTF8.GetByteCount(reason) <= MaxCloseReasonBytes)
        {
            return reason;
        }
        var end = Math.Min(reason.Length, MaxCloseReasonBytes);
        while (end > 0 && Encoding.UTF8.GetByteCount(reason.AsSpan(0, end)) > MaxCloseReasonBytes - 3)
        {
            end--;
        }
        return string.Concat(reason.AsSpan(0, end), "...");
    }

    /// <summary>Keystrokes that cannot be delivered (the shell is ending) are dropped; the output side reports the end.</summary>
    private sealed class InputWriter(ITerminalSession session, ILogger logger)
    {
        private bool _broken;

        public async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
        {
            if (_broken || bytes.IsEmpty)
            {
                return;
            }
            try
            {
                await session.WriteAsync(bytes, cancellationToken);
            }
            catch (EngineUnavailableException e)
            {
                _broken = true;
                Log.InputFailed(logger, session.Id, e.Message);
            }
        }
    }

    internal static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Terminal session {SessionId} started in container {ContainerId} for user {UserId}")]
        public static partial void Started(ILogger logger, string sessionId, Guid containerId, Guid userId);

        [LoggerMessage(2, LogLevel.Information, "Terminal session {SessionId} ended: {Reason}")]
        public static partial void Ended(ILogger logger, string sessionId, string reason);

        [LoggerMessage(3, LogLevel.Warning, "Terminal for container {ContainerId} could not start: {Reason}")]
        public static partial void OpenFailed(ILogger logger, Guid containerId, string reason);

        [LoggerMessage(4, LogLevel.Warning, "Terminal session {SessionId}: output failed: {Reason}")]
        public static partial void OutputFailed(ILogger logger, string sessionId, string reason);

        [LoggerMessage(5, LogLevel.Debug, "Terminal session {SessionId}: input dropped: {Reason}")]
        public static partial void InputFailed(ILogger logger, string sessionId, string reason);

        [LoggerMessage(6, LogLevel.Debug, "Terminal session {SessionId}: ignored a {Kind} control message")]
        public static partial void ControlIgnored(ILogger logger, string sessionId, string kind);

        [LoggerMessage(7, LogLevel.Warning, "Terminal session {SessionId}: {Kind} failed: {Reason}")]
        public static partial void ControlFailed(ILogger logger, string sessionId, string kind, string reason);

        [LoggerMessage(8, LogLevel.Warning, "Terminal session {SessionId}: ending its processes failed: {Reason}")]
        public static partial void KillFailed(ILogger logger, string sessionId, string reason);
    }
}
