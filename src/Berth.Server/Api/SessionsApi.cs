using System.Globalization;
using Berth.Core.Accounts;
using Berth.Core.Errors;
using Berth.Server.Accounts;
using Berth.Server.Http;
using Berth.Server.RateLimits;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Berth.Server.Api;

internal sealed record LoginRequest(string? Email, string? Password);

/// <summary>
/// Who is signed in. For a session: its id, its CSRF token (derived from the cookie, so a reloaded page
/// can get it again) and when it ends; for a Bearer credential only the user.
/// </summary>
internal sealed record AuthStateResponse(
    UserResponse User, string Credential, Guid? SessionId, string? CsrfToken, DateTimeOffset? ExpiresAt, DateTimeOffset? IdleExpiresAt)
{
    public const string SessionCredential = "session";
    public const string TokenCredential = "token";

    public static AuthStateResponse ForSession(User user, Session session, string csrfToken, SessionService sessions) =>
        new(UserResponse.From(user), SessionCredential, session.Id, csrfToken, session.ExpiresAt, sessions.IdleExpiresAt(session));
}

/// <summary>A session as its user lists it: never its secret, its CSRF token or their hashes.</summary>
internal sealed record SessionResponse(
    Guid Id, bool Current, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, DateTimeOffset ExpiresAt, DateTimeOffset IdleExpiresAt);

/// <summary>Browser sign-in: a session cookie and its CSRF token, for people rather than programs.</summary>
internal static class SessionsApi
{
    public static IEndpointRouteBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        // Like /api/v1/tokens, your own sign-in state needs no scope; login and logout need no credential.
        var auth = app.MapGroup("/api/v1/auth").WithTags("Auth");
        auth.MapPost("/login", LoginAsync).AllowAnonymous().RequireLoginRateLimit()
            .WithSummary("Sign in with email and password; sets the session cookie and returns its CSRF token");
        auth.MapPost("/logout", LogoutAsync).AllowAnonymous()
            .WithSummary("End this browser's session and clear its cookie");
        auth.MapGet("/session", GetSessionAsync)
            .WithSummary("Who is signed in; for a session, its CSRF token and when it ends");
        auth.MapGet("/sessions", ListSessionsAsync).WithSummary("List your live sessions");
        auth.MapDelete("/sessions/{id}", EndSessionAsync).WithSummary("End one of your sessions; its cookie stops working at once");
        return app;
    }

    public static async Task<IResult> LoginAsync(
        LoginRequest request, HttpContext context, AccountService accounts, SessionService sessions,
        TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        switch (await accounts.CheckPasswordAsync(request.Email, request.Password, cancellationToken))
        {
            case SignInResult.Success { User: var user }:
                // Signing in again from a signed-in browser replaces its session rather than orphaning it.
                if (context.Features.Get<SessionFeature>() is { } previous)
                {
                    await EndQuietlyAsync(sessions, previous.Session, cancellationToken);
                }
                var started = await sessions.StartAsync(user, cancellationToken);
                SessionCookie.Append(context, started);
                return TypedResults.Ok(Envelope.Of(
                    AuthStateResponse.ForSession(user, started.Session, started.CsrfToken, sessions), "Signed in"));
            case SignInResult.LockedOut { Until: var until }:
                var seconds = Math.Max(1, (long)Math.Ceiling((until - timeProvider.GetUtcNow()).TotalSeconds));
                return new ErrorResult(BerthError.AccountLocked,
                    "Too many failed sign-ins; the account is locked for now",
                    new Dictionary<string, object?> { ["retry_after"] = seconds, ["locked_until"] = until },
                    RetryAfterSeconds: seconds);
            case SignInResult.BannedUser:
                return new ErrorResult(BerthError.AccountBanned, "The account is banned");
            default:
                // The same answer whether the email is unknown or the password wrong.
                return new ErrorResult(BerthError.InvalidCredentials, "The email or password is not correct");
        }
    }

    public static async Task<NoContent> LogoutAsync(HttpContext context, SessionService sessions, CancellationToken cancellationToken)
    {
        if (context.Features.Get<SessionFeature>() is { } current)
        {
            await EndQuietlyAsync(sessions, current.Session, cancellationToken);
        }
        SessionCookie.Delete(context);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<DataEnvelope<AuthStateResponse>>> GetSessionAsync(
        HttpContext context, AccountService accounts, SessionService sessions, CancellationToken cancellationToken)
    {
        var caller = context.GetCaller();
        var user = await accounts.GetUserAsync(caller.UserId, cancellationToken);
        if (context.Features.Get<SessionFeature>() is { Session: var session } && SessionCookie.TryRead(context.Request, out var secret))
        {
            return TypedResults.Ok(Envelope.Of(AuthStateResponse.ForSession(user, session, SessionSecrets.CsrfToken(secret), sessions)));
        }
        return TypedResults.Ok(Envelope.Of(new AuthStateResponse(
            UserResponse.From(user), AuthStateResponse.TokenCredential, null, null, null, null)));
    }

    public static async Task<Ok<DataEnvelope<IReadOnlyList<SessionResponse>>>> ListSessionsAsync(
        HttpContext context, SessionService sessions, CancellationToken cancellationToken)
    {
        var caller = context.GetCaller();
        var current = context.Features.Get<SessionFeature>()?.Session.Id;
        var live = await sessions.ListAsync(caller.UserId, cancellationToken);
        return TypedResults.Ok(Envelope.Of<IReadOnlyList<SessionResponse>>(live
            .Select(s => new SessionResponse(s.Id, s.Id == current, s.CreatedAt, s.LastUsedAt, s.ExpiresAt, sessions.IdleExpiresAt(s)))
            .ToList()));
    }

    public static async Task<NoContent> EndSessionAsync(
        string id, HttpContext context, SessionService sessions, CancellationToken cancellationToken)
    {
        var sessionId = Ids.Parse(id);
        await sessions.EndAsync(context.GetCaller().UserId, sessionId, cancellationToken);
        if (context.Features.Get<SessionFeature>()?.Session.Id == sessionId)
        {
            SessionCookie.Delete(context);
        }
        return TypedResults.NoContent();
    }

    /// <summary>Ends a session that may have ended a moment ago by another way (a ban, another tab).</summary>
    private static async Task EndQuietlyAsync(SessionService sessions, Session session, CancellationToken cancellationToken)
    {
        try
        {
            await sessions.EndAsync(session.UserId, session.Id, cancellationToken);
        }
        catch (BerthException e) when (e.Error == BerthError.NotFound)
        {
            // Already ended: signing out is done either way.
        }
    }

    /// <summary>An error answered in the envelope with a header the exception handler would clear (Retry-After).</summary>
    private sealed record ErrorResult(
        BerthError Error, string Message, IReadOnlyDictionary<string, object?>? Details = null, long? RetryAfterSeconds = null) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (RetryAfterSeconds is { } seconds)
            {
                httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            }
            return httpContext.WriteErrorAsync(Error.Status, Envelope.Error(Error, Message, Details));
        }
    }
}
