using Berth.Core.Accounts;
using System.Net.WebSockets;
using System.Text.Json;
using Berth.Core.Commands;
using Berth.Core.Engine;
using Berth.Core.Errors;
using Berth.Core.Projects;
using Berth.Server.Accounts;
using Berth.Server.Http;
using Berth.Server.RateLimits;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Berth.Server.Api;

/// <summary>Commands run in containers: thin handlers over <see cref="CommandService"/>, and the job stream.</summary>
internal static class CommandsApi
{
    private static readonly TimeSpan s_closeTimeout = TimeSpan.FromSeconds(5);

    public static IEndpointRouteBuilder MapCommandsApi(this IEndpointRouteBuilder app)
    {
        var byContainer = app.MapGroup("/api/v1/containers").WithTags("Commands");
        byContainer.MapPost("/{id}/commands", SubmitAsync).WithIdempotency().RequireScope(Scopes.Exec).NeedsPermission(Permission.Exec);
        byContainer.MapGet("/{id}/commands", ListAsync).RequireScope(Scopes.Read).NeedsPermission(Permission.View);

        var commands = app.MapGroup("/api/v1/commands").WithTags("Commands");
        commands.MapGet("/{id}", GetAsync).RequireScope(Scopes.Read).NeedsPermission(Permission.View);
        commands.MapPost("/{id}/cancel", CancelAsync).WithIdempotency().RequireScope(Scopes.Exec).NeedsPermission(Permission.Exec);
        commands.MapGet("/{id}/stream", StreamAsync).RequireScope(Scopes.Read).NeedsPermission(Permission.View).AsLongLivedStream();
        return app;
    }

    private static async Task<Accepted<DataEnvelope<CommandRecord>>> SubmitAsync(
        HttpContext http, CommandService commands, string id, CommandBody body, CancellationToken cancellationToken)
    {
        var command = await commands.SubmitAsync(http.GetCaller(), id, body.ToRequest(), cancellationToken);
        return TypedResults.Accepted($"/api/v1/commands/{command.Id}", Envelope.Of(CommandRecord.From(command), "Command queued"));
    }

    private static async Task<Ok<ListEnvelope<CommandRecord>>> ListAsync(
        HttpContext http, CommandService commands, string id, string? page, string? limit, CancellationToken cancellationToken)
    {
        var (pageNumber, pageSize) = FieldErrors.ParsePage(page, limit);
        var result = await commands.ListAsync(http.GetCaller(), id, pageNumber, pageSize, cancellationToken);
        return TypedResults.Ok(Envelope.Of(result, CommandRecord.From, "Commands retrieved successfully"));
    }

    private static async Task<Ok<DataEnvelope<CommandRecord>>> GetAsync(
        HttpContext http, CommandService commands, string id, CancellationToken cancellationToken)
    {
        var command = await commands.GetAsync(http.GetCaller(), Ids.Parse(id), cancellationToken);
        return TypedResults.Ok(Envelope.Of(CommandRecord.From(command), "Command retrieved successfully"));
    }

    private static async Task<Ok<DataEnvelope<CommandRecord>>> CancelAsync(
        HttpContext http, CommandService commands, string id, CancellationToken cancellationToken)
    {
        var command = await commands.CancelAsync(http.GetCaller(), Ids.Parse(id), cancellationToken);
        return TypedResults.Ok(Envelope.Of(CommandRecord.From(command),
            command.Status == CommandStatus.Canceled ? "Command canceled" : $"Command had already {command.Status.ToWire()}"));
    }

    /// <summary>
    /// The job stream: <c>{"type":"stdout"|"stderr","data":...}</c> frames as output is produced (or replayed),
    /// then <c>{"type":"exit",...}</c> and a normal close. Visibility is checked before the upgrade, so a
    /// refusal is an ordinary HTTP error.
    /// </summary>
    private static async Task StreamAsync(HttpContext http, CommandService commands, IOptions<JsonOptions> json, string id)
    {
        var commandId = Ids.Parse(id);
        // A ban or a revoked token ends the stream like the client leaving (the connection is cut).
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, http.AccessRevoked());
        var events = await commands.WatchAsync(http.GetCaller(), commandId, leave.Token);
        using var socket = await WebSockets.AcceptAsync(http);
        var options = json.Value.SerializerOptions;

        // Reading is how a close from the client is noticed; nothing else it sends means anything.
        var reading = DrainAsync(socket, leave);
        try
        {
            await foreach (var commandEvent in events.WithCancellation(leave.Token))
            {
                object frame = commandEvent switch
                {
                    CommandOutput output => new OutputFrame(output.Stream == OutputStream.Stdout ? "stdout" : "stderr", output.Text),
                    CommandFinished finished => ExitFrame.From(finished.Command),
                    _ => throw new InvalidOperationException($"Unknown command event {commandEvent.GetType().Name}"),
                };
                var bytes = JsonSerializer.SerializeToUtf8Bytes(frame, frame.GetType(), options);
                await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, leave.Token);
                if (commandEvent is CommandFinished)
                {
                    using var closing = new CancellationTokenSource(s_closeTimeout);
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "command finished", closing.Token);
                    await reading.WaitAsync(s_closeTimeout, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException && leave.IsCancellationRequested)
        {
            // The client left (or the server is stopping); nobody to tell.
        }
        finally
        {
            await leave.CancelAsync();
            await reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (socket.State == WebSocketState.CloseReceived)
            {
                // The client closed first: answer its close so the handshake completes.
                using var closing = new CancellationTokenSource(s_closeTimeout);
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, closing.Token)
                    .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private static async Task DrainAsync(WebSocket socket, CancellationTokenSource leave)
    {
        var buffer = new byte[1024];
        try
        {
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var received = await socket.ReceiveAsync(buffer, leave.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
        // The client closed or vanished: stop sending. After our own close this changes nothing.
        await leave.CancelAsync();
    }

    private sealed record OutputFrame(string Type, string Data);

    private sealed record ExitFrame(
        string Type, Guid Id, string Status, int? ExitCode, string? Reason, bool StdoutTruncated, bool StderrTruncated,
        DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt)
    {
        public static ExitFrame From(CommandExecution c) =>
            new("exit", c.Id, c.Status.ToWire(), c.ExitCode, c.Reason, c.StdoutTruncated, c.StderrTruncated, c.StartedAt, c.FinishedAt);
    }
}
