using System.Text.Encodings.Web;
using Berth.Core.Accounts;
using Berth.Core.Errors;
using Berth.Server.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Berth.Server.Oauth;

/// <summary>
/// <c>Authorization: Bearer &lt;access token&gt;</c> issued by Berth's OAuth server (see
/// <see cref="OauthAccessTokens"/>). The token's user must still be allowed in, and the token never does
/// more than that user may now.
/// </summary>
internal sealed class OauthTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    OauthAccessTokens accessTokens,
    AccountService accounts) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = AuthSchemes.BearerCredential(Request).ToString();
        if (token.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }
        switch (await accessTokens.ValidateAsync(token, Context.RequestAborted))
        {
            case AccessTokenResult.Valid { Token: var validated }:
                var user = await accounts.AuthenticateUserAsync(validated.UserId, Context.RequestAborted);
                return CallerPrincipal.Authenticate(
                    Context, user, validated.CredentialId, validated.Scopes, Scheme.Name, "The token is not valid");
            case AccessTokenResult.ExpiredToken:
                return AuthenticationFailure.Fail(BerthError.TokenExpired, "The token has expired");
            default:
                return AuthenticationFailure.Fail(BerthError.InvalidToken, "The token is not valid");
        }
    }
}
