using Berth.Core.Accounts;
using System.Globalization;
using System.Text.Json;
using Berth.Core.Containers;
using Berth.Core.Errors;
using Berth.Core.Persistence;
using Berth.Server.Accounts;
using Berth.Server.RateLimits;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Berth.Server.Api;

/// <summary>One status transition on the event stream.</summary>
internal sealed record StatusEvent(
    long Id,
    Guid ContainerId,
    string Hostname,
    string? FromStatus,
    string ToStatus,
    string Operation,
    string Actor,
    string? Reason,
    DateTimeOffset TransitionTime)
{
    public static StatusEvent From(SequencedTransition line) => new(
        line.Sequence, line.Transition.ContainerId, line.Hostname, line.Transition.FromStatus?.ToWire(),
        line.Transition.ToStatus.ToWire(), line.Transition.Operation, line.Transition.Actor, line.Transition.Reason,
        line.Transition.TransitionTime);
}

/// <summary>
/// <c>GET /api/v1/events</c>: Server-Sent Events of the status transitions the caller may see. The event
/// id is the line's position in the status log, so <c>Last-Event-ID</c> resumes without a gap.
/// </summary>
internal static class EventsApi
{
    private static readonly TimeSpan s_keepAlive = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/events", StreamAsync).WithTags("Events").RequireScope(Scopes.Read).AsLongLivedStream()
            .WithSummary("Server-Sent Events of status transitions; resume with Last-Event-ID");
        return app;
    }

    private static async Task StreamAsync(
        HttpContext http, ContainerWatcher watcher, IOptions<JsonOptions> json, string? last_event_id, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        var raw = http.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } header ? header : last_event_id;
        long position;
        if (string.IsNullOrEmpty(raw))
        {
            position = await watcher.CurrentPositionAsync(cancellationToken);
        }
        else if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out position))
        {
            throw BerthException.Validation("last_event_id", "must be the id of an event this stream sent (a non-negative integer)");
        }

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        // Send the headers now: a client knows it is subscribed before the first event.
        await http.Response.WriteAsync(": subscribed\n\n", cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);

        try
        {
            await foreach (var line in watcher.FollowAsync(caller, position, s_keepAlive, cancellationToken))
            {
                var frame = line is null
                    ? ": keep-alive\n\n"
                    : $"id: {line.Sequence.ToString(CultureInfo.InvariantCulture)}\nevent: status\ndata: {JsonSerializer.Serialize(StatusEvent.From(line), json.Value.SerializerOptions)}\n\n";
                await http.Response.WriteAsync(frame, cancellationToken);
                await http.Response.Body.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
    }
}
