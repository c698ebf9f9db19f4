using Berth.Core.Audit;
using Berth.Server.Accounts;
using Berth.Server.Http;
using Microsoft.AspNetCore.Diagnostics;

namespace Berth.Server.Audit;

/// <summary>
/// Records every mutating request, every WebSocket upgrade and every refusal (401, 403) once it has
/// been answered. Outermost in the pipeline, so it sees the final status of errors too. It reads
/// only the method, the path, the route, the caller's ids and the answer's status and error code:
/// never a header's value, a body or a token.
/// </summary>
internal sealed class AuditMiddleware(RequestDelegate next, AuditLog log, TimeProvider timeProvider)
{
    private static readonly string[] s_targetKeys = ["id", "deploymentId"];

    public async Task InvokeAsync(HttpContext context)
    {
        var time = timeProvider.GetUtcNow();
        try
        {
            await next(context);
        }
        finally
        {
            var status = context.Response.StatusCode;
            if (MutatingMethods.Contains(context.Request.Method) || context.WebSockets.IsWebSocketRequest || AuditEntry.IsDenied(status))
            {
                log.Record(Entry(context, time, status));
            }
        }
    }


    private static AuditEntry Entry(HttpContext context, DateTimeOffset time, int status)
    {
        // After an exception the handler has cleared the endpoint and route values; it keeps the originals.
        var failure = context.Features.Get<IExceptionHandlerFeature>();
        var endpoint = context.GetEndpoint() ?? failure?.Endpoint;
        var routeValues = context.Request.RouteValues.Count > 0 ? context.Request.RouteValues : failure?.RouteValues;
        var caller = context.User.Identity?.IsAuthenticated == true ? context.Features.Get<CallerFeature>()?.Caller : null;
        return new AuditEntry
        {
            Id = Guid.CreateVersion7(time),
            Time = time,
            UserId = caller?.UserId,
            TokenId = caller?.TokenId,
            Method = context.Request.Method,
            Route = (endpoint as RouteEndpoint)?.RoutePattern.RawText,
            Path = (context.Request.PathBase + context.Request.Path).ToString(),
            TargetId = Target(routeValues),
            Status = status,
            ErrorCode = status >= 400 ? context.Features.Get<ErrorCodeFeature>()?.Code : null,
            SourceAddress = context.Connection.RemoteIpAddress?.ToString(),
            RequestId = context.TraceIdentifier,
        };
    }

    private static string? Target(RouteValueDictionary? values)
    {
        if (values is null)
        {
            return null;
        }
        foreach (var key in s_targetKeys)
        {
            if (values.TryGetValue(key, out var value) && value?.ToString() is { Length: > 0 } id)
            {
                return id;
            }
        }
        return null;
    }
}
