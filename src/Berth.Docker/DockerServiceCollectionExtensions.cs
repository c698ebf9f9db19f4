using Berth.Core.Engine;
using Berth.Docker.Metrics;
using Berth.Docker.Terminal;
using Berth.Docker.Logs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Berth.Docker;

public static class DockerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the one-host Docker engine as the singleton <see cref="IContainerEngine"/>.
    /// <c>Berth:Docker:Endpoint</c> from configuration applies first, then <paramref name="configure"/>;
    /// an endpoint still empty falls back to <c>DOCKER_HOST</c>, then the local default socket.
    /// </summary>
    public static IServiceCollection AddDockerEngine(this IServiceCollection services, Action<DockerEngineOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);

        services.AddSingleton<IConfigureOptions<DockerEngineOptions>>(sp => new ConfigureOptions<DockerEngineOptions>(options =>
        {
            // Configuration is optional so that the engine can be used outside a host (tools, tests).
            var endpoint = sp.GetService<IConfiguration>()?[$"{DockerEngineOptions.Section}:Endpoint"];
            if (!string.IsNullOrWhiteSpace(endpoint))
            {
                options.Endpoint = endpoint;
            }
        }));
        services.AddOptions<DockerEngineOptions>()
            .Configure(configure)
            .PostConfigure(options => options.Endpoint = DockerEngineOptions.ResolveEndpoint(
                options.Endpoint, Environment.GetEnvironmentVariable("DOCKER_HOST")))
            .Validate(options => !string.IsNullOrWhiteSpace(options.InstanceId), "Berth:Docker needs an InstanceId.")
            .Validate(options => Uri.TryCreate(options.Endpoint, UriKind.Absolute, out _), "Berth:Docker:Endpoint must be an absolute URI such as unix:///var/run/docker.sock or tcp://host:2375.")
            .ValidateOnStart();

        services.TryAddSingleton<DockerConnection>();
        services.TryAddSingleton<DockerEngine>();
        services.TryAddSingleton<IContainerEngine>(sp => sp.GetRequiredService<DockerEngine>());
        services.TryAddSingleton<IContainerStatsSource, DockerStatsSource>();
        services.TryAddSingleton<IContainerExec, DockerExec>();
        services.TryAddSingleton<IContainerTerminal, DockerTerminal>();
        services.TryAddSingleton<IContainerLogSource, DockerLogSource>();
        return services;
    }
}
