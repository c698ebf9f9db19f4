using Berth.Core.Accounts;
using Berth.Core.Errors;
using Berth.Server.Http;

namespace Berth.Server.Accounts;

/// <summary>
/// Cross-site request forgery protection for requests authenticated by a session cookie, which a
/// browser attaches by itself: every POST, PUT, PATCH and DELETE must repeat the session's token in
/// <c>x-csrf-token</c>, and a WebSocket upgrade (which cannot carry headers) must come from an allowed
/// <c>Origin</c>. It runs between authentication and authorization, for every route, whatever it is
/// mapped with; a request authenticated by a Bearer credential is never affected.
/// </summary>
internal static class SessionCsrf
{
    public const string HeaderName = "x-csrf-token";

    public static IApplicationBuilder UseSessionCsrf(this IApplicationBuilder app) => app.Use(static (context, next) =>
    {
        if (context.Features.Get<SessionFeature>() is not { } feature || context.User.Identity?.IsAuthenticated != true)
        {
            return next(context);
        }
        if (context.WebSockets.IsWebSocketRequest && !WebSockets.OriginAllowed(context, requireOrigin: true))
        {
            return RejectAsync(context, "A WebSocket opened with a session must come from this server's origin");
        }
        if (MutatingMethods.Contains(context.Request.Method)
            && !SessionService.CsrfMatches(feature.Session, context.Request.Headers[HeaderName].ToString()))
        {
            return RejectAsync(context, $"A request with a session cookie must send the session's CSRF token in {HeaderName}");
        }
        return next(context);
    });


    private static Task RejectAsync(HttpContext context, string message) =>
        context.WriteErrorAsync(StatusCodes.Status403Forbidden, Envelope.Error(BerthError.CsrfRejected, message));
}
