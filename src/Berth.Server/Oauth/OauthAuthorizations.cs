using System.Collections.Immutable;
using Berth.Core.Accounts;
using Berth.Core.Errors;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Berth.Server.Oauth;

/// <summary>An application a user authorized: what it may do for them, and since when.</summary>
internal sealed record OauthAuthorization(
    string Id, string ClientId, string ApplicationName, IReadOnlyList<string> Scopes, DateTimeOffset? CreatedAt);

/// <summary>
/// The permanent authorizations users give applications. Consent is implicit (admins registered the
/// applications), but each grant is recorded so that the user can see and revoke it.
/// </summary>
internal sealed class OauthAuthorizations(
    IOpenIddictAuthorizationManager authorizations,
    IOpenIddictApplicationManager applications,
    IOpenIddictTokenManager tokens,
    OauthAccessTokens accessTokens,
    OauthStreams streams,
    TimeProvider timeProvider)
{
    /// <summary>
    /// The id of a valid permanent authorization of <paramref name="userId"/> for the application that
    /// covers <paramref name="scopes"/>: an existing one, so that authorizing again lists once, else a new one.
    /// </summary>
    public async Task<string> EnsureAsync(
        Guid userId, string applicationId, ImmutableArray<string> scopes, CancellationToken cancellationToken)
    {
        var subject = userId.ToString();
        await foreach (var existing in authorizations.FindAsync(
            subject, applicationId, Statuses.Valid, AuthorizationTypes.Permanent, scopes, cancellationToken))
        {
            return (await authorizations.GetIdAsync(existing, cancellationToken))!;
        }
        var descriptor = new OpenIddictAuthorizationDescriptor
        {
            ApplicationId = applicationId,
            Subject = subject,
            Status = Statuses.Valid,
            Type = AuthorizationTypes.Permanent,
            CreationDate = timeProvider.GetUtcNow(),
        };
        descriptor.Scopes.UnionWith(scopes);
        var created = await authorizations.CreateAsync(descriptor, cancellationToken);
        return (await authorizations.GetIdAsync(created, cancellationToken))!;
    }

    public async Task<IReadOnlyList<OauthAuthorization>> ListAsync(Guid userId, CancellationToken cancellationToken)
    {
        var list = new List<OauthAuthorization>();
        await foreach (var authorization in authorizations.FindBySubjectAsync(userId.ToString(), cancellationToken))
        {
            if (!await authorizations.HasStatusAsync(authorization, Statuses.Valid, cancellationToken)
                || !await authorizations.HasTypeAsync(authorization, AuthorizationTypes.Permanent, cancellationToken)
                || await authorizations.GetApplicationIdAsync(authorization, cancellationToken) is not { } applicationId
                || await applications.FindByIdAsync(applicationId, cancellationToken) is not { } application)
            {
                continue;
            }
            list.Add(new OauthAuthorization(
                (await authorizations.GetIdAsync(authorization, cancellationToken))!,
                (await applications.GetClientIdAsync(application, cancellationToken))!,
                await applications.GetDisplayNameAsync(application, cancellationToken) ?? "",
                TokenScopes.ToNames(OauthScopes.Parse(await authorizations.GetScopesAsync(authorization, cancellationToken))),
                await authorizations.GetCreationDateAsync(authorization, cancellationToken)));
        }
        return [.. list.OrderByDescending(a => a.CreatedAt)];
    }

    /// <summary>
    /// Revokes the user's authorization and every token issued under it: its access tokens stop working
    /// on the next request, its refresh tokens and codes are refused by <c>/connect/token</c>.
    /// </summary>
    public async Task RevokeAsync(Guid userId, string id, CancellationToken cancellationToken)
    {
        var authorization = await authorizations.FindByIdAsync(id, cancellationToken);
        // Another user's authorization is answered like a missing one.
        if (authorization is null
            || await authorizations.GetSubjectAsync(authorization, cancellationToken) != userId.ToString()
            || !await authorizations.HasStatusAsync(authorization, Statuses.Valid, cancellationToken))
        {
            throw BerthException.NotFound("Authorization");
        }
        accessTokens.Revoke(id);
        await tokens.RevokeByAuthorizationIdAsync(id, cancellationToken);
        await authorizations.TryRevokeAsync(authorization, cancellationToken);
        streams.End(await streams.TokensOfAuthorizationAsync(id, cancellationToken));
    }
}
