using Berth.Core.Accounts;

namespace Berth.Server.Accounts;

/// <summary>
/// The <c>berth_session</c> cookie that carries a session's secret. HttpOnly, so page scripts (and so
/// injected ones) cannot read it; SameSite=Strict, because only Berth's own pages call the API with it,
/// through fetch, never through a link followed from another site, so Strict costs nothing and keeps
/// the cookie off every cross-site request, WebSocket handshakes included; Secure whenever the request
/// came over HTTPS.
/// </summary>
internal static class SessionCookie
{
    public const string Name = "berth_session";

    public static bool TryRead(HttpRequest request, out string secret)
    {
        secret = request.Cookies[Name] ?? "";
        return secret.Length > 0;
    }

    public static void Append(HttpContext context, StartedSession started) =>
        context.Response.Cookies.Append(Name, started.Secret, Options(context, started.Session.ExpiresAt));

    /// <summary>Tells the browser to drop the cookie; the server has ended (or never knew) the session.</summary>
    public static void Delete(HttpContext context) =>
        context.Response.Cookies.Delete(Name, Options(context, expires: null));

    private static CookieOptions Options(HttpContext context, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };
}
