using Berth.Core.Accounts;
using Berth.Core.Engine;

namespace Berth.Server.Health;

internal sealed record HealthResponse(string Status);

internal sealed record ReadinessResponse(string Status, IReadOnlyDictionary<string, string> Checks);

internal static class HealthEndpoints
{
    private static readonly TimeSpan s_checkTimeout = TimeSpan.FromSeconds(5);

    public static IHostApplicationBuilder AddBerthHealth(this IHostApplicationBuilder builder) => builder;

    public static IEndpointRouteBuilder MapBerthHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("ok")))
            .AllowAnonymous().DisableRateLimiting().WithTags("Health").WithSummary("The process is up");
        app.MapGet("/readyz", ReadyAsync)
            .AllowAnonymous().DisableRateLimiting().WithTags("Health").WithSummary("The store and the engine answer");
        return app;
    }

    private static async Task<IResult> ReadyAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var checks = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["store"] = await CheckAsync(async ct =>
            {
                await using var scope = services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<IAccountStore>().ListUsersAsync(1, 1, ct);
            }, cancellationToken),
            ["engine"] = services.GetService<IContainerEngine>() is { } engine
                ? await CheckAsync(engine.PingAsync, cancellationToken)
                : "not configured",
        };
        var ready = checks.Values.All(v => v == "ok");
        var body = new ReadinessResponse(ready ? "ready" : "not_ready", checks);
        return ready ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<string> CheckAsync(Func<CancellationToken, Task> check, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_checkTimeout);
        try
        {
            await check(timeout.Token);
            return "ok";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {s_checkTimeout.TotalSeconds:0} s";
        }
        catch (EngineUnavailableException e)
        {
            return e.Message;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Readiness is anonymous: name the failure, not its internals.
            return $"unavailable ({e.GetType().Name})";
        }
    }
}
