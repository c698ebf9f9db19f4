using System.Threading.RateLimiting;
using Berth.Core.Accounts;
using Berth.Server.Accounts;
using Microsoft.AspNetCore.RateLimiting;

namespace Berth.Server.RateLimits;

/// <summary>
/// Endpoints that hold a connection open for as long as the client likes: log follows, the event stream,
/// the terminal and the command stream. Marking one with <see cref="AsLongLivedStream"/> does two things:
/// <list type="bullet">
/// <item>each user may hold at most <see cref="RateLimitOptions.StreamsPerUser"/> of them open at once
/// (<see cref="LongLivedStreamPolicy"/>); one more is 429 <c>RATE_LIMITED</c>;</item>
/// <item>the stream ends when its user is banned or its credential revoked
/// (<see cref="LongLivedStreamFilter"/>, over <see cref="AccessRevocations"/>).</item>
/// </list>
/// Both cost nothing on other endpoints.
/// </summary>
internal static class LongLivedStreams
{
    public const string PolicyName = "long-lived-stream";

    /// <summary>
    /// Marks the endpoint as a long-lived stream; <paramref name="when"/> narrows it to the requests that
    /// really stream (a log read without <c>follow</c> ends by itself and is an ordinary request).
    /// </summary>
    public static RouteHandlerBuilder AsLongLivedStream(this RouteHandlerBuilder builder, Func<HttpContext, bool>? when = null)
    {
        var stream = new LongLivedStream(when ?? (_ => true));
        return builder.WithMetadata(stream)
            .RequireRateLimiting(PolicyName)
            .AddEndpointFilter(new LongLivedStreamFilter(stream));
    }

    /// <summary>
    /// Cancelled when the stream's user is banned or its credential revoked; <see cref="CancellationToken.None"/>
    /// outside a long-lived stream. A WebSocket handler must watch it (see <see cref="LongLivedStreamFilter"/>);
    /// other streams see it through <see cref="HttpContext.RequestAborted"/>.
    /// </summary>
    public static CancellationToken AccessRevoked(this HttpContext http) =>
        http.Features.Get<StreamRevocationFeature>()?.Revoked ?? CancellationToken.None;
}

/// <summary>Endpoint metadata of a long-lived stream; <see cref="AppliesTo"/> tells which requests stream.</summary>
internal sealed record LongLivedStream(Func<HttpContext, bool> AppliesTo);

internal sealed record StreamRevocationFeature(CancellationToken Revoked);

/// <summary>A concurrency limit per user, without a queue: a stream over the cap is refused at once.</summary>
internal sealed class LongLivedStreamPolicy(RateLimitOptions limits) : IRateLimiterPolicy<Guid>
{
    private readonly Func<Guid, RateLimiter> _create = _ => new ConcurrencyLimiter(new ConcurrencyLimiterOptions
    {
        PermitLimit = limits.StreamsPerUser,
        QueueLimit = 0,
    });

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } =
        (context, _) => new ValueTask(RateLimitsSetup.RejectAsync(context.HttpContext, context.Lease,
            $"Too many open streams: at most {limits.StreamsPerUser} per user; close one first",
            new Dictionary<string, object?> { ["max_streams"] = limits.StreamsPerUser }));

    public RateLimitPartition<Guid> GetPartition(HttpContext httpContext)
    {
        // Authorization comes after the limiter: a request without a caller is refused there, not here.
        if (limits.StreamsPerUser == 0
            || httpContext.Features.Get<CallerFeature>() is not { } feature
            || httpContext.GetEndpoint()?.Metadata.GetMetadata<LongLivedStream>() is not { } stream
            || !stream.AppliesTo(httpContext))
        {
            return RateLimitPartition.GetNoLimiter(Guid.Empty);
        }
        return new RateLimitPartition<Guid>(feature.Caller.UserId, _create);
    }
}

/// <summary>
/// Watches the caller's user and credential for as long as the stream runs. For a streamed response, a
/// revocation looks like the client leaving: <see cref="HttpContext.RequestAborted"/> and the handler's
/// <see cref="CancellationToken"/> parameters are replaced by a token that also fires on revocation, and
/// the handler ends its response as it does for a client that left. A WebSocket is left to its handler,
/// which reads <see cref="LongLivedStreams.AccessRevoked"/>: it can then send a close frame (1008) before
/// it stops, where a cancelled request token would tear the connection down first.
/// </summary>
internal sealed class LongLivedStreamFilter(LongLivedStream stream) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!stream.AppliesTo(http) || http.Features.Get<CallerFeature>() is not { } feature)
        {
            return await next(context);
        }
        var revocations = http.RequestServices.GetRequiredService<AccessRevocations>();
        using var watch = revocations.Watch(feature.Caller.UserId, feature.Caller.TokenId);
        http.Features.Set(new StreamRevocationFeature(watch.Token));
        if (http.WebSockets.IsWebSocketRequest)
        {
            return await next(context);
        }
        // Disposed with the request, not here: the error handler may still read RequestAborted.
        var ended = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, watch.Token);
        http.Response.RegisterForDispose(ended);
        http.RequestAborted = ended.Token;
        for (var i = 0; i < context.Arguments.Count; i++)
        {
            if (context.Arguments[i] is CancellationToken)
            {
                context.Arguments[i] = ended.Token;
            }
        }
        return await next(context);
    }
}
