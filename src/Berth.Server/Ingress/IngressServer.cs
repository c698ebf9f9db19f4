using Berth.Core.Errors;
using Berth.Server.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Berth.Server.Ingress;

/// <summary>
/// Runs the ingress as its own small web server on its own address, apart from the API: its pipeline is only
/// the reverse proxy, so that no API middleware (authentication, error pages, routing of the API) costs
/// proxied requests anything, and the API's address is never exposed through it. It shares
/// <see cref="IngressRoutes"/>, the logging and the JSON settings with the main server.
/// </summary>
internal sealed partial class IngressServer(
    IngressRoutes routes,
    IOptions<IngressOptions> options,
    IOptions<JsonOptions> jsonOptions,
    ILoggerFactory loggerFactory,
    ILogger<IngressServer> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The address the ingress is bound to (the real port when configured with port 0); null when off.</summary>
    public Uri? Address { get; private set; }

    /// <summary>The port the ingress listens on; 0 when off.</summary>
    public int Port => Address?.Port ?? 0;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.IsOff)
        {
            IngressOff(logger);
            return;
        }
        var app = Build(options.Value.Url);
        // Attached before YARP first reads the table, so that no publish can slip between that read and the attach.
        routes.Attach(app.Services.GetRequiredService<IProxyStateLookup>());
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // No proxy will apply a table: publishing must not wait for one.
            routes.Detach();
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _app = app;
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        Address = bound is null ? new Uri(options.Value.Url) : new Uri(bound);
        Listening(logger, Address);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        routes.Detach();
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private WebApplication Build(string url)
    {
        // The empty builder reads no configuration, so nothing meant for the API (urls, Kestrel endpoints) leaks in.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls(url);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(jsonOptions);
        builder.Services.AddRouting();
        builder.Services.AddReverseProxy();
        builder.Services.AddSingleton<IProxyConfigProvider>(routes);
        builder.Services.AddSingleton<IConfigChangeListener>(routes);
        builder.Services.AddSingleton<IForwarderHttpClientFactory, ReplicaClientFactory>();

        var app = builder.Build();
        app.UseRouting();
        app.Use(static (context, next) => context.GetEndpoint() is null ? NotServedAsync(context) : next(context));
        app.MapReverseProxy(proxy =>
        {
            proxy.Use(static (context, next) =>
                context.GetReverseProxyFeature().AvailableDestinations.Count == 0 ? NoReplicaAsync(context) : next(context));
            proxy.UseLoadBalancing();
            proxy.Use(static async (context, next) =>
            {
                await next(context).ConfigureAwait(false);
                if (!context.Response.HasStarted && context.GetForwarderErrorFeature() is { } error)
                {
                    await ReplicaFailedAsync(context, error).ConfigureAwait(false);
                }
            });
        });
        return app;
    }

    private static Task NotServedAsync(HttpContext context) =>
        context.WriteErrorAsync(StatusCodes.Status404NotFound,
            Envelope.Error(BerthError.NotFound, $"No container serves host '{context.Request.Host.Host}'"));

    private static Task NoReplicaAsync(HttpContext context) =>
        context.WriteErrorAsync(StatusCodes.Status503ServiceUnavailable,
            Envelope.Error(BerthError.ExternalServiceError, $"No replica of host '{context.Request.Host.Host}' is ready"));

    /// <summary>YARP set 502 or 504 and wrote nothing: the replica refused, reset or timed out before answering.</summary>
    private static Task ReplicaFailedAsync(HttpContext context, IForwarderErrorFeature error)
    {
        var message = error.Error is ForwarderError.RequestTimedOut
            ? $"The replica of host '{context.Request.Host.Host}' did not answer in time"
            : $"The replica of host '{context.Request.Host.Host}' did not answer";
        return context.WriteErrorAsync(context.Response.StatusCode, Envelope.Error(BerthError.ExternalServiceError, message));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingress listening on {Address}")]
    private static partial void Listening(ILogger logger, Uri address);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingress is off (Berth:Ingress:Url = off)")]
    private static partial void IngressOff(ILogger logger);
}
