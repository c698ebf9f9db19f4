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

    /// <summary>
    /// Answers for every scheme (see <see cref="AuthSchemes.Refusals"/>): the refusal comes from the
    /// result of whichever scheme the request's credential selected.
    /// </summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var (error, message) = AuthSchemes.Refusal(await Context.AuthenticateAsync(AuthSchemes.Berth));
        if (error.Status == StatusCodes.Status401Unauthorized)
        {
            Response.Headers.WWWAuthenticate = "Bearer";
        }
        await Context.WriteErrorAsync(error.Status, Envelope.Error(error, message));
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Context.WriteErrorAsync(StatusCodes.Status403Forbidden,
            Envelope.Error(BerthError.InsufficientPermissions, "This action requires the admin role"));

    private AuthenticationTicket Ticket(AuthenticationResult.Success success) => new(
        CallerPrincipal.Create(Context, success.User, success.Token.Id, success.Token.Scopes ?? Scopes.All, Scheme.Name),
        Scheme.Name);

    private static AuthenticateResult Fail(BerthError error, string message) => AuthenticationFailure.Fail(error, message);
}

/// <summary>Why a presented credential was refused, carried from authenticate to challenge.</summary>
internal sealed class AuthenticationFailure(BerthError error, string message) : Exception(message)
{
    public BerthError Error { get; } = error;

    /// <summary>A scheme's refusal that the challenge answers with <paramref name="error"/>.</summary>
    public static AuthenticateResult Fail(BerthError error, string message) =>
        AuthenticateResult.Fail(new AuthenticationFailure(error, message));
}
