using Berth.Core.Containers;
using Berth.Core.Lifecycle;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>The application services; the host adds a store and an engine.</summary>
    public static IServiceCollection AddBerthCore(this IServiceCollection services)
    {
        services.AddSingleton<ContainerLocks>();
        services.AddSingleton<Persistence.ContainerChangeSignal>();
        services.AddSingleton<EngineEventHub>();
        services.AddSingleton<EngineStatus>();
        services.AddSingleton<LifecycleExecutor>();
        services.AddSingleton<Reconciler>();
        services.AddSingleton<DomainClaims>();
        services.AddSingleton<Deployments.IReplicaHealthProbe, Deployments.HttpReplicaHealthProbe>();
        services.AddSingleton<Deployments.ReplicaHealthGate>();
        services.AddSingleton<Deployments.DeploymentRunner>();
        services.AddSingleton<Deployments.IDeploymentControl>(sp => sp.GetRequiredService<Deployments.DeploymentRunner>());
        services.AddSingleton<Deployments.DeploymentService>();
        services.AddSingleton<Projects.ProjectAccess>();
        services.AddSingleton<Projects.ProjectService>();
        services.AddSingleton<ContainerService>();
        services.AddSingleton<ContainerWatcher>();
        return services;
    }
}
