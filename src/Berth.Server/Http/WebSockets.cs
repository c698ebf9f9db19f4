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
        if (!OriginAllowed(http))
        {
            throw new BerthException(BerthError.InsufficientPermissions,
                $"WebSocket connections from origin '{http.Request.Headers.Origin}' are not allowed");
        }
        return await http.WebSockets.AcceptWebSocketAsync();
    }

    private static bool OriginAllowed(HttpContext http)
    {
        var origin = http.Request.Headers.Origin.ToString();
        if (string.IsNullOrEmpty(origin))
        {
            return true;
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
