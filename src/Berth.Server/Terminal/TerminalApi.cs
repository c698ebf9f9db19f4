using Berth.Core.Accounts;
using System.Net.WebSockets;
using Berth.Core.Engine;
using Berth.Core.Errors;
using Berth.Core.Projects;
using Berth.Core.Terminal;
using Berth.Server.Accounts;
using Berth.Server.Http;
using Berth.Server.RateLimits;

namespace Berth.Server.Terminal;

/// <summary>
/// <c>GET /api/v1/containers/{id}/terminal?cols=&amp;rows=&amp;shell=</c> (WebSocket): an interactive shell
/// in the container's first running replica. Everything that can be refused is refused before the
/// upgrade, with the usual error envelope; see <see cref="TerminalBridge"/> for the frames.
/// </summary>
internal static class TerminalApi
{
    public static IHostApplicationBuilder AddBerthTerminal(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TerminalService>();
        return builder;
    }

    public static IEndpointRouteBuilder MapTerminalApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/containers/{id}/terminal", ConnectAsync).WithTags("Terminal").RequireScope(Scopes.Exec)
            .NeedsPermission(Permission.Exec)
            .AsLongLivedStream();
        return app;
    }

    private static async Task ConnectAsync(
        HttpContext http, TerminalService terminals, IHostApplicationLifetime lifetime, ILoggerFactory loggers,
        string id, string? cols, string? rows, string? shell)
    {
        var errors = new FieldErrors();
        var columns = errors.ParseInt("cols", cols, TerminalService.DefaultColumns, 1, TerminalService.MaxSize);
        var height = errors.ParseInt("rows", rows, TerminalService.DefaultRows, 1, TerminalService.MaxSize);
        var program = TerminalService.ValidateShell(errors, shell);
        errors.ThrowIfAny();

        var container = await terminals.ResolveAsync(http.GetCaller(), id, http.RequestAborted);
        // Accepted before the shell starts, so that a refused origin never starts a process.
        using var socket = await WebSockets.AcceptAsync(http);
        var logger = loggers.CreateLogger(typeof(TerminalBridge));

        ITerminalSession session;
        try
        {
            session = await terminals.OpenAsync(container, program, columns, height, http.RequestAborted);
        }
        catch (Exception e) when (e is BerthException or EngineUnavailableException)
        {
            TerminalBridge.Log.OpenFailed(logger, container.Id, e.Message);
            await TerminalBridge.CloseQuietlyAsync(socket, WebSocketCloseStatus.InternalServerError, e.Message);
            return;
        }
        TerminalBridge.Log.Started(logger, session.Id, container.Id, http.GetCaller().UserId);
        await TerminalBridge.RunAsync(socket, session, lifetime.ApplicationStopping, http.AccessRevoked(), logger);
    }
}
