using System.Collections.Immutable;
using System.Security.Claims;
using Berth.Core.Accounts;
using Berth.Server.Accounts;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Berth.Server.Oauth;

/// <summary>
/// The two OpenIddict endpoints whose decisions are Berth's: who the user is and what they grant
/// (<c>/connect/authorize</c>), and who a token acts as (<c>/connect/token</c>). OpenIddict has already
/// validated each request (client, redirect URI, PKCE, grant) before these run, and answers the other
/// endpoints (discovery, JWKS, revocation) by itself.
/// </summary>
internal static class ConnectEndpoints
{
    public const string AuthorizePath = "/connect/authorize";
    public const string TokenPath = "/connect/token";

    public static IEndpointRouteBuilder MapConnectEndpoints(this IEndpointRouteBuilder app)
    {
        // Anonymous to the authorization middleware: OpenIddict authenticates the client; the user is
        // authenticated below, so that a refusal can be answered in the way each endpoint needs.
        app.MapMethods(AuthorizePath, [HttpMethods.Get, HttpMethods.Post], AuthorizeAsync).AllowAnonymous().ExcludeFromDescription();
        app.MapPost(TokenPath, ExchangeAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// Authorization code flow, for a user Berth already knows by whatever credential (the default
    /// scheme). Consent is implicit; the grant is recorded as a permanent authorization. The code carries
    /// the requested scopes within the application's and the caller's (which are within its user's).
    /// </summary>
    private static async Task<IResult> AuthorizeAsync(
        HttpContext context, IOpenIddictApplicationManager applications, OauthApplications registry,
        OauthAuthorizations grants, CancellationToken cancellationToken)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenIddict request.");
        var authenticated = await context.AuthenticateAsync(AuthSchemes.Berth);
        if (!authenticated.Succeeded || context.Features.Get<CallerFeature>() is not { } feature)
        {
            // Berth's own refusal: 401 MISSING_TOKEN / INVALID_TOKEN / TOKEN_EXPIRED, 403 ACCOUNT_BANNED.
            return Results.Challenge(authenticationSchemes: [AuthSchemes.Berth]);
        }
        var caller = feature.Caller;
        var application = await applications.FindByClientIdAsync(request.ClientId!, cancellationToken)
            ?? throw new InvalidOperationException("OpenIddict let an unknown client through.");

        var registered = await registry.ScopesAsync(application, cancellationToken);
        var requested = request.GetScopes();
        var granted = (requested.IsEmpty ? registered : OauthScopes.Parse(requested)) & registered & caller.Scopes;
        if (granted == Berth.Core.Accounts.Scopes.None)
        {
            return Refuse(Errors.AccessDenied, "None of the requested scopes is available to this user.");
        }
        var scopes = TokenScopes.ToNames(granted).ToList();
        // Refresh tokens are issued only under offline_access: given whenever the client may refresh.
        if (await applications.HasPermissionAsync(application, Permissions.GrantTypes.RefreshToken, cancellationToken))
        {
            scopes.Add(OpenIddictConstants.Scopes.OfflineAccess);
        }

        var applicationId = (await applications.GetIdAsync(application, cancellationToken))!;
        var authorizationId = await grants.EnsureAsync(caller.UserId, applicationId, [.. scopes], cancellationToken);
        return SignIn(caller.UserId, [.. scopes], authorizationId);
    }

    private static async Task<IResult> ExchangeAsync(
        HttpContext context, IOpenIddictApplicationManager applications, OauthApplications registry,
        AccountService accounts, CancellationToken cancellationToken)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenIddict request.");
        if (request.IsClientCredentialsGrantType())
        {
            return await ClientCredentialsAsync(request, applications, registry, accounts, cancellationToken);
        }
        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            // The code or refresh token was verified by OpenIddict (signature, expiry, PKCE, authorization still valid).
            var principal = (await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme)).Principal;
            if (!Guid.TryParse(principal?.GetClaim(Claims.Subject), out var userId))
            {
                return Refuse(Errors.InvalidGrant, "The grant names no user.");
            }
            if (await UserAsync(accounts, userId, cancellationToken) is not { } user)
            {
                return Refuse(Errors.InvalidGrant, "The user may no longer sign in.");
            }
            // A user demoted since the grant loses what they may no longer do.
            var names = principal!.GetScopes();
            var scopes = TokenScopes.ToNames(OauthScopes.Parse(names) & TokenScopes.AllowedFor(user)).ToList();
            if (names.Contains(OpenIddictConstants.Scopes.OfflineAccess))
            {
                scopes.Add(OpenIddictConstants.Scopes.OfflineAccess);
            }
            return SignIn(userId, [.. scopes], principal.GetAuthorizationId());
        }
        return Refuse(Errors.UnsupportedGrantType, "The grant type is not supported.");
    }

    /// <summary>A machine client acts as its service account, within the client's scopes and the user's.</summary>
    private static async Task<IResult> ClientCredentialsAsync(
        OpenIddictRequest request, IOpenIddictApplicationManager applications, OauthApplications registry,
        AccountService accounts, CancellationToken cancellationToken)
    {
        var application = await applications.FindByClientIdAsync(request.ClientId!, cancellationToken)
            ?? throw new InvalidOperationException("OpenIddict let an unknown client through.");
        if (await registry.ServiceUserAsync(application, cancellationToken) is not { } userId
            || await UserAsync(accounts, userId, cancellationToken) is not { } user)
        {
            return Refuse(Errors.InvalidClient, "The client's user may no longer sign in.");
        }
        var registered = await registry.ScopesAsync(application, cancellationToken);
        var requested = request.GetScopes();
        var granted = (requested.IsEmpty ? registered : OauthScopes.Parse(requested)) & registered & TokenScopes.AllowedFor(user);
        if (granted == Berth.Core.Accounts.Scopes.None)
        {
            return Refuse(Errors.InvalidScope, "None of the requested scopes is available to this client.");
        }
        return SignIn(userId, [.. TokenScopes.ToNames(granted)], authorizationId: null);
    }

    /// <summary>The user, when they exist and are not banned.</summary>
    private static async Task<User?> UserAsync(AccountService accounts, Guid userId, CancellationToken cancellationToken) =>
        await accounts.AuthenticateUserAsync(userId, cancellationToken) is UserAuthenticationResult.Success success ? success.User : null;

    /// <summary>
    /// Lets OpenIddict issue the tokens: <c>sub</c> is the Berth user, the scopes are the grant; every
    /// claim goes into the access token only (there are no identity tokens).
    /// </summary>
    private static IResult SignIn(Guid userId, ImmutableArray<string> scopes, string? authorizationId)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, userId.ToString());
        identity.SetScopes(scopes);
        identity.SetAuthorizationId(authorizationId);
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>An OAuth error, answered by OpenIddict in the protocol's form (a redirect or a JSON error).</summary>
    private static IResult Refuse(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
