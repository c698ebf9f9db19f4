using Berth.Core;
using Berth.Core.Lifecycle;

namespace Berth.Server.Hosting;

internal static class LifecycleSetup
{
    public static IHostApplicationBuilder AddBerthLifecycle(this IHostApplicationBuilder builder)
    {
        builder.Services.AddBerthCore();
        builder.Services.AddHostedService<ReconcilerService>();
        return builder;
    }
}

/// <summary>Runs the reconciler for the life of the server; on shutdown, lets lifecycle work in flight finish.</summary>
internal sealed class ReconcilerService(Reconciler reconciler, LifecycleExecutor executor) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => reconciler.RunAsync(stoppingToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // A boot cut short here is finished by the next start's resync; waiting is only a courtesy.
        await executor.DrainAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
