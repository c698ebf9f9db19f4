using Berth.Server.Accounts;
using Berth.Server.Api;
using Berth.Server.Audit;
using Berth.Server.Commands;
using Berth.Server.Deployments;
using Berth.Server.Health;
using Berth.Server.Http;
using Berth.Server.Ingress;
using Berth.Server.Metrics;
using Berth.Server.Oauth;
using Berth.Server.RateLimits;
using Berth.Server.Terminal;
using Berth.Server.Logs;

namespace Berth.Server.Hosting;

/// <summary>The whole host in two calls, so that Program.cs and the tests' factory build the same server.</summary>
internal static class BerthHost
{
    public const string DefaultUrl = "http://127.0.0.1:8080";

    public static IHostApplicationBuilder AddBerth(this IHostApplicationBuilder builder)
    {
        builder.AddBerthDefaultUrl();
        builder.AddBerthOptions();
        builder.AddBerthDataProtection();
        builder.AddBerthHttp();
        builder.AddBerthStorage();
        // First of the hosted services: they start in order, and every later one needs the migrated store.
        builder.AddBerthStartup();
        builder.AddBerthEngine();
        builder.AddBerthAuthentication();
        builder.AddBerthAccounts();
        builder.AddBerthRateLimits();
        builder.AddBerthOauth();
        builder.AddBerthIngress();
        builder.AddBerthLifecycle();
        builder.AddBerthDeployments();
        builder.AddBerthMetrics();
        builder.AddBerthCommands();
        builder.AddBerthTerminal();
        builder.AddBerthLogs();
        builder.AddBerthHealth();
        builder.AddBerthOpenApi();
        // Last: its writer is then built last and disposed first, flushing while the store is still open.
        builder.AddBerthAudit();
        return builder;
    }

    public static WebApplication MapBerth(this WebApplication app)
    {
        app.UseBerthErrors();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });
        app.UseRouting();
        app.UseAuthentication();
        // After authentication (a request counts against its credential) and before authorization (a
        // request without a valid credential counts against its address, refused or not).
        app.UseBerthRateLimits();
        // Before authorization, so that it guards every route whatever policy the route names.
        app.UseSessionCsrf();
        app.UseAuthorization();

        app.MapBerthHealth();
        app.MapOpenApi().AllowAnonymous();
        app.MapAccountsApi();
        app.MapAuthApi();
        app.MapBerthOauth();
        app.MapSessionsApi();
        app.MapAuditApi();
        app.MapContainersApi();
        app.MapDeploymentsApi();
        app.MapEventsApi();
        app.MapMetricsApi();
        app.MapCommandsApi();
        app.MapTerminalApi();
        app.MapLogsApi();
        app.MapProjectsApi();
        return app;
    }

    /// <summary>Loopback only unless told otherwise: a fresh install must not be reachable from the network.</summary>
    private static void AddBerthDefaultUrl(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var configured = !string.IsNullOrEmpty(configuration["urls"])
            || !string.IsNullOrEmpty(configuration["http_ports"])
            || !string.IsNullOrEmpty(configuration["https_ports"])
            || configuration.GetSection("Kestrel:Endpoints").Exists();
        if (!configured)
        {
            configuration["urls"] = DefaultUrl;
        }
    }
}
