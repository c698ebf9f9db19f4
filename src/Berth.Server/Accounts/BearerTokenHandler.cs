using System.Security.Claims;
using System.Text.Encodings.Web;
using Berth.Core.Accounts;
using Berth.Core.Errors;
using Berth.Server.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Berth.Server.Accounts;

/// <summary><c>Authorization: Bearer berth_pat_...</c>, checked by <see cref="AccountService.AuthenticateAsync"/>.</summary>
internal sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";
    private const string BearerPrefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return Fail(BerthError.InvalidToken, "The Authorization header must be 'Bearer <token>'");
        }

        var accounts = Context.RequestServices.GetRequiredService<AccountService>();
        var result = await accounts.AuthenticateAsync(header[BearerPrefix.Length..].Trim(), Context.RequestAborted);
        return result switch
        {
            AuthenticationResult.Success success => AuthenticateResult.Success(Ticket(success)),
            AuthenticationResult.Expired => Fail(BerthError.TokenExpired, "The token has expired"),
            AuthenticationResult.Banned => Fail(BerthError.AccountBanned, "The account is banned"),
            _ => Fail(BerthError.InvalidToken, "The token is not valid"),
        };
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var (error, message) = result.Failure is AuthenticationFailure failure
            ? (failure.Error, failure.Message)
            : (BerthError.MissingToken, "An Authorization: Bearer token is required");
        if (error.Status == StatusCodes.Status401Unauthorized)
        {
            Response.Headers.WWWAuthenticate = SchemeName;
        }
        await Context.WriteErrorAsync(error.Status, Envelope.Error(error, message));
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Context.WriteErrorAsync(StatusCodes.Status403Forbidden,
            Envelope.Error(BerthError.InsufficientPermissions, "This action requires the admin role"));

    /// <summary>
    /// The claims that authorization policies read, and the <see cref="Caller"/> the services get, both
    /// made once here so that no endpoint parses the claims back.
    /// </summary>
    private AuthenticationTicket Ticket(AuthenticationResult.Success success)
    {
        var scopes = TokenScopes.Effective(success.Token, success.User);
        // An admin user's token acts as admin only when it also holds the admin scope.
        Context.Features.Set(new CallerFeature(
            new Caller(success.User.Id, success.User.IsAdmin && scopes.HasFlag(Scopes.Admin), success.Token.Id, scopes)));
        var identity = new ClaimsIdentity(
            [
                new Claim(BerthClaims.UserId, success.User.Id.ToString()),
                new Claim(BerthClaims.Role, success.User.IsAdmin ? BerthClaims.AdminRole : BerthClaims.UserRole),
                new Claim(BerthClaims.TokenId, success.Token.Id.ToString()),
                .. TokenScopes.ToNames(scopes).Select(name => new Claim(BerthClaims.Scope, name)),
            ],
            SchemeName, BerthClaims.UserId, BerthClaims.Role);
        return new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName);
    }

    private static AuthenticateResult Fail(BerthError error, string message) =>
        AuthenticateResult.Fail(new AuthenticationFailure(error, message));
}

/// <summary>The caller of an authenticated request, as the bearer handler made it.</summary>
internal sealed record CallerFeature(Caller Caller);

/// <summary>Why a presented token was refused, carried from authenticate to challenge.</summary>
internal sealed class AuthenticationFailure(BerthError error, string message) : Exception(message)
{
    public BerthError Error { get; } = error;
}

internal static class BerthClaims
{
    public const string UserId = "sub";
    public const string Role = "role";
    public const string TokenId = "token_id";
    public const string Scope = "scope";
    public const string AdminRole = "admin";
    public const string UserRole = "user";
}
