using System.Text.Encodings.Web;
using Berth.Core.Accounts;
using Berth.Core.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Berth.Server.Accounts.Jwt;

/// <summary>
/// The validation of Berth's own JWTs, built once: the key, issuer, audience, algorithm and type they
/// must have, and a handler that remembers the tokens it verified.
/// </summary>
internal sealed class BerthJwtValidation(IOptions<JwtOptions> jwt, JwtSigningKey key, TimeProvider timeProvider)
{
    private readonly CachingJsonWebTokenHandler _handler = new(timeProvider);
    private readonly TokenValidationParameters _parameters = new()
    {
        ValidIssuer = jwt.Value.Issuer,
        ValidAudience = jwt.Value.Audience,
        IssuerSigningKey = key.ValidationKey,
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        ValidTypes = [AccessTokenIssuer.TokenType],
        RequireExpirationTime = true,
        ClockSkew = jwt.Value.ClockSkew,
    };

    public Task<TokenValidationResult> ValidateAsync(string token) => _handler.ValidateTokenAsync(token, _parameters);
}

/// <summary>
/// <c>Authorization: Bearer &lt;JWT&gt;</c> that Berth signed (<c>POST /api/v1/auth/token</c>). A handler of
/// its own rather than JwtBearer's, which copies its validation parameters and raises its events on every
/// request: this path is as hot as a personal access token's. The token names its user (<c>sub</c>), its
/// id (<c>jti</c>) and what it may do (<c>scope</c>); the user must still be allowed in.
/// </summary>
internal sealed class BerthJwtHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    BerthJwtValidation validation,
    AccountService accounts) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = AuthSchemes.BearerCredential(Request).ToString();
        if (token.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }
        var result = await validation.ValidateAsync(token);
        if (!result.IsValid)
        {
            // An expired token's exception is answered as TOKEN_EXPIRED (see AuthSchemes.Refusal).
            return AuthenticateResult.Fail(result.Exception ?? new SecurityTokenValidationException());
        }
        var jwt = (JsonWebToken)result.SecurityToken;
        if (!Guid.TryParse(jwt.Subject, out var userId) || !Guid.TryParse(jwt.Id, out var tokenId))
        {
            return AuthenticationFailure.Fail(BerthError.InvalidToken, "The token is not valid");
        }
        var scopes = jwt.TryGetPayloadValue<string>(ScopeClaim.Name, out var names) ? ScopeClaim.Parse(names) : Scopes.None;
        var user = await accounts.AuthenticateUserAsync(userId, Context.RequestAborted);
        return CallerPrincipal.Authenticate(Context, user, tokenId, scopes, Scheme.Name, "The token's user no longer exists");
    }
}
