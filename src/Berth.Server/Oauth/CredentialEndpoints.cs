using Berth.Core.Errors;
using Berth.Server.Accounts;

namespace Berth.Server.Oauth;

internal static class CredentialEndpoints
{
    /// <summary>
    /// Refuses OAuth access tokens on endpoints that manage a user's own credentials and grants. An
    /// application acts for a user within a grant the user can revoke; a personal access token it minted,
    /// or another application's grant it revoked, would escape that.
    /// </summary>
    public static TBuilder RefuseOauthAccessTokens<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter((context, next) =>
            context.HttpContext.User.Identity?.AuthenticationType == AuthSchemes.OauthAccessToken
                ? throw new BerthException(BerthError.InsufficientPermissions,
                    "An OAuth access token cannot manage tokens or authorizations; use a personal access token")
                : next(context));
}
