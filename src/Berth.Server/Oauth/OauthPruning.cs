using OpenIddict.Abstractions;

namespace Berth.Server.Oauth;

/// <summary>
/// Every token the server issues has a row (so that it can be revoked); this removes, once an hour,
/// the rows of tokens and authorizations that are expired, revoked or orphaned and older than a day.
/// A pruned token stays refused: the API refuses a token whose row is gone.
/// </summary>
internal sealed partial class OauthPruning(IServiceScopeFactory scopes, TimeProvider timeProvider, ILogger<OauthPruning> logger)
    : BackgroundService
{
    private static readonly TimeSpan s_interval = TimeSpan.FromHours(1);
    private static readonly TimeSpan s_keep = TimeSpan.FromDays(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(s_interval, timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var threshold = timeProvider.GetUtcNow() - s_keep;
                var tokens = await scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>().PruneAsync(threshold, stoppingToken);
                var authorizations = await scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>().PruneAsync(threshold, stoppingToken);
                Pruned(logger, tokens, authorizations);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                PruneFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pruned {Tokens} OAuth tokens and {Authorizations} authorizations")]
    private static partial void Pruned(ILogger logger, long tokens, long authorizations);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning OAuth tokens failed; trying again in an hour")]
    private static partial void PruneFailed(ILogger logger, Exception exception);
}
