using System.Net.WebSockets;
using Berth.Core;
using Berth.Core.Errors;
using Microsoft.Extensions.Options;

namespace Berth.Server.Http;

/// <summary>
/// The one way Berth accepts a WebSocket: only WebSocket requests, and only from an allowed origin, so
/// that a page on another site cannot ride a user's browser credentials into a terminal (cross-site
/// WebSocket hijacking). Programs send no <c>Origin</c> and are authenticated by their token.
/// </summary>
internal static class WebSockets
{
    public static async Task<WebSocket> AcceptAsync(HttpContext http)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            throw BerthException.Validation("connection", "this endpoint speaks WebSocket only (send an Upgrade: websocket request)");
        }
        if (!OriginAllowed(http, requireOrigin: false))
        {
            throw new BerthException(BerthError.InsufficientPermissions,
                $"WebSocket connections from origin '{http.Request.Headers.Origin}' are not allowed");
        }
        return await http.WebSockets.AcceptWebSocketAsync();
    }

    /// <summary>
    /// Whether the request's <c>Origin</c> is the server's own or configured in <c>Berth:AllowedOrigins</c>.
    /// No <c>Origin</c> passes unless <paramref name="requireOrigin"/>: browsers always send one, so a
    /// request authenticated by a browser credential must.
    /// </summary>
    public static bool OriginAllowed(HttpContext http, bool requireOrigin)
    {
        var origin = http.Request.Headers.Origin.ToString();
        if (string.IsNullOrEmpty(origin))
        {
            return !requireOrigin;
        }
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri))
        {
            return false;
        }
        var own = $"{http.Request.Scheme}://{http.Request.Host}";
        if (string.Equals(uri.GetLeftPart(UriPartial.Authority), own, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        var allowed = http.RequestServices.GetRequiredService<IOptions<BerthOptions>>().Value.AllowedOrigins;
        return allowed.Any(a => string.Equals(a.TrimEnd('/'), uri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase));
    }
}
