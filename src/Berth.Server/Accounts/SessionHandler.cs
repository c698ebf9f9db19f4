using System.Text.Encodings.Web;
using Berth.Core.Accounts;
using Berth.Core.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Berth.Server.Accounts;

/// <summary>
/// The <c>berth_session</c> cookie of a browser that signed in (<c>POST /api/v1/auth/login</c>). The
/// caller acts with its user's full scopes; the session id is its credential id. Mutating requests
/// must also carry the session's CSRF token (<see cref="SessionCsrf"/>).
/// </summary>
internal sealed class SessionHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!SessionCookie.TryRead(Request, out var secret))
        {
            return AuthenticateResult.NoResult();
        }

        var sessions = Context.RequestServices.GetRequiredService<SessionService>();
        var accounts = Context.RequestServices.GetRequiredService<AccountService>();
        switch (await sessions.AuthenticateAsync(secret, Context.RequestAborted))
        {
            case SessionAuthenticationResult.Success { Session: var session }:
                return await accounts.AuthenticateUserAsync(session.UserId, Context.RequestAborted) switch
                {
                    UserAuthenticationResult.Success { User: var user } => Success(session, user),
                    UserAuthenticationResult.BannedUser => Banned(),
                    _ => Ended(),
                };
            case SessionAuthenticationResult.EndedSession { UserId: var userId }:
                // A ban ends the user's sessions; while it lasts, say why.
                return await accounts.AuthenticateUserAsync(userId, Context.RequestAborted) is UserAuthenticationResult.BannedUser
                    ? Banned()
                    : Ended();
            case SessionAuthenticationResult.ExpiredSession:
                return Fail(BerthError.TokenExpired, "The session has expired; sign in again");
            default:
                return Ended();
        }
    }

    private static AuthenticateResult Banned() => Fail(BerthError.AccountBanned, "The account is banned");

    private static AuthenticateResult Ended() =>
        Fail(BerthError.InvalidToken, "The session has ended or is not valid; sign in again");

    private AuthenticateResult Success(Session session, User user)
    {
        Context.Features.Set(new SessionFeature(session));
        var principal = CallerPrincipal.Create(Context, user, session.Id, TokenScopes.AllowedFor(user), Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    private static AuthenticateResult Fail(BerthError error, string message) => AuthenticationFailure.Fail(error, message);
}

/// <summary>The live session that authenticated the request, for the CSRF check and the session endpoints.</summary>
internal sealed record SessionFeature(Session Session);
