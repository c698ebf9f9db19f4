using Berth.Core.Accounts;
using Berth.Core.Errors;
using Berth.Server.Accounts.Jwt;
using Berth.Server.Http;
using Berth.Server.RateLimits;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Berth.Server.Api;

/// <summary>
/// <c>grant_type</c> is <c>password</c> (with <c>email</c>, <c>password</c> and optional <c>scopes</c>) or
/// <c>refresh_token</c> (with <c>refresh_token</c>); when it is left out, a body with a
/// <c>refresh_token</c> is a refresh and any other a sign-in.
/// </summary>
internal sealed record TokenGrantRequest(
    string? GrantType, string? Email, string? Password, IReadOnlyList<string>? Scopes, string? RefreshToken);

/// <summary>An access token and the refresh token that renews it; the only answer that carries either.</summary>
internal sealed record TokenGrantResponse(
    string AccessToken, string TokenType, int ExpiresIn, string RefreshToken, IReadOnlyList<string> Scopes);

/// <summary>Signing in with a password for short-lived JWTs, renewing them, and the key that verifies them.</summary>
internal static class AuthApi
{
    public const string PasswordGrant = "password";
    public const string RefreshTokenGrant = "refresh_token";

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/auth/token", GrantAsync).AllowAnonymous().RequireLoginRateLimit().WithTags("Auth")
            .WithSummary("Exchange an email and password, or a refresh token, for an access token (JWT) and a new refresh token");
        app.MapGet("/.well-known/jwks.json", Keys).AllowAnonymous().WithTags("Auth")
            .WithSummary("The public key that verifies Berth's access tokens (JWKS)");
        return app;
    }

    public static async Task<Ok<DataEnvelope<TokenGrantResponse>>> GrantAsync(
        TokenGrantRequest request, AccountService accounts, RefreshTokenService refreshTokens, AccessTokenIssuer issuer,
        IOptions<JwtOptions> options, CancellationToken cancellationToken)
    {
        var grant = request.GrantType ?? (request.RefreshToken is not null ? RefreshTokenGrant : PasswordGrant);
        var lifetime = options.Value.RefreshTokenLifetime;
        var (user, scopes, refreshToken) = grant switch
        {
            PasswordGrant => await SignInAsync(request, accounts, refreshTokens, lifetime, cancellationToken),
            RefreshTokenGrant => await RefreshAsync(request, refreshTokens, lifetime, cancellationToken),
            _ => throw BerthException.Validation("grant_type", $"must be {PasswordGrant} or {RefreshTokenGrant}"),
        };
        // A sign-in without scopes follows its user's role, like a token created without them.
        var effective = (scopes ?? Scopes.All) & TokenScopes.AllowedFor(user);
        var (accessToken, accessLifetime) = issuer.Issue(user, effective);
        var body = new TokenGrantResponse(
            accessToken, "Bearer", (int)accessLifetime.TotalSeconds, refreshToken, TokenScopes.ToNames(effective));
        return TypedResults.Ok(Envelope.Of(body));
    }

    public static IResult Keys(JwtSigningKey key)
    {
        var jwk = key.PublicJwk;
        return Results.Json(new { keys = new[] { new { kty = jwk.Kty, use = jwk.Use, alg = jwk.Alg, kid = jwk.Kid, n = jwk.N, e = jwk.E } } });
    }

    private static async Task<(User User, Scopes? Scopes, string RefreshToken)> SignInAsync(
        TokenGrantRequest request, AccountService accounts, RefreshTokenService refreshTokens, TimeSpan lifetime,
        CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(request.Email))
        {
            errors.Add("email", "is required");
        }
        if (string.IsNullOrEmpty(request.Password))
        {
            errors.Add("password", "is required");
        }
        errors.ThrowIfAny();

        var user = await accounts.CheckPasswordAsync(request.Email, request.Password, cancellationToken) switch
        {
            SignInResult.Success success => success.User,
            SignInResult.LockedOut locked => throw AccountService.LockedOut(locked.Until),
            SignInResult.BannedUser => throw new BerthException(BerthError.AccountBanned, "The account is banned"),
            _ => throw new BerthException(BerthError.InvalidCredentials, "The email or password is not correct"),
        };
        var scopes = TokenScopes.Resolve(errors, request.Scopes, user, Scopes.All);
        errors.ThrowIfAny();
        return (user, scopes, await refreshTokens.IssueAsync(user, scopes, lifetime, cancellationToken));
    }

    private static async Task<(User User, Scopes? Scopes, string RefreshToken)> RefreshAsync(
        TokenGrantRequest request, RefreshTokenService refreshTokens, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrEmpty(request.RefreshToken))
        {
            errors.Add("refresh_token", "is required");
        }
        if (request.Scopes is not null)
        {
            errors.Add("scopes", "cannot change on a refresh; the new tokens keep the scopes of the sign-in");
        }
        errors.ThrowIfAny();

        return await refreshTokens.RefreshAsync(request.RefreshToken, lifetime, cancellationToken) switch
        {
            RefreshResult.Success success => (success.User, success.Scopes, success.RefreshToken),
            RefreshResult.ReusedToken => throw new BerthException(BerthError.InvalidToken,
                "The refresh token was already used; every token of its sign-in is now revoked, sign in again"),
            RefreshResult.ExpiredToken => throw new BerthException(BerthError.TokenExpired, "The refresh token has expired; sign in again"),
            RefreshResult.BannedUser => throw new BerthException(BerthError.AccountBanned, "The account is banned"),
            _ => throw new BerthException(BerthError.InvalidToken, "The refresh token is not valid"),
        };
    }
}
