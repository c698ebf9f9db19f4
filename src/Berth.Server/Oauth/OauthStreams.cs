using Berth.Core.Accounts;
using OpenIddict.Abstractions;

namespace Berth.Server.Oauth;

/// <summary>
/// Ends the open long-lived streams (logs, events, terminals) that authenticated with OAuth access
/// tokens being revoked: a stream makes no next request, so the API's check would never see it.
/// </summary>
internal sealed class OauthStreams(IServiceScopeFactory scopes, AccessRevocations revocations)
{
    /// <summary>The ids of an application's tokens, read apart from the caller's store context, which goes on to change them.</summary>
    public Task<List<Guid>> TokensOfApplicationAsync(string applicationId, CancellationToken cancellationToken) =>
        IdsAsync(tokens => tokens.FindByApplicationIdAsync(applicationId, cancellationToken), cancellationToken);

    public Task<List<Guid>> TokensOfAuthorizationAsync(string authorizationId, CancellationToken cancellationToken) =>
        IdsAsync(tokens => tokens.FindByAuthorizationIdAsync(authorizationId, cancellationToken), cancellationToken);

    public void End(IEnumerable<Guid> tokenIds)
    {
        foreach (var id in tokenIds)
        {
            revocations.RevokeCredential(id);
        }
    }

    private async Task<List<Guid>> IdsAsync(
        Func<IOpenIddictTokenManager, IAsyncEnumerable<object>> find, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
        var ids = new List<Guid>();
        await foreach (var token in find(tokens).WithCancellation(cancellationToken))
        {
            if (Guid.TryParse(await tokens.GetIdAsync(token, cancellationToken), out var id))
            {
                ids.Add(id);
            }
        }
        return ids;
    }
}
