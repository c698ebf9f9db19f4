using Berth.Core.Deployments;
using Berth.Core.Ingress;

namespace Berth.Server.Deployments;

internal static class DeploymentsSetup
{
    /// <summary>Restores deploys a restart cut short, keeps ingress routes in line outside deploys, and stops runs cleanly on shutdown.</summary>
    public static IHostApplicationBuilder AddBerthDeployments(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IngressSync>();
        builder.Services.AddHostedService<DeploymentsService>();
        return builder;
    }

    private sealed class DeploymentsService(DeploymentRunner runner, IngressSync ingress) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await runner.RecoverAsync(stoppingToken).ConfigureAwait(false);
            await ingress.RunAsync(stoppingToken).ConfigureAwait(false);
        }

        public override async Task StopAsync(CancellationToken cancellationToken)
        {
            await runner.StopAsync().ConfigureAwait(false);
            await base.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
