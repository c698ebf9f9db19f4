using Docker.DotNet;
using Docker.DotNet.Models;

namespace Berth.Api.Tests.Infrastructure;

/// <summary>
/// Direct access to the engine, for what only happens behind Berth's back (an outside kill) and for
/// checking what Berth really created. Fails loudly when no engine answers.
/// </summary>
public static class DockerProbe
{
    private static readonly Lazy<DockerClient> s_client = new(() =>
    {
        var endpoint = Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host
            ? host
            : "unix:///var/run/docker.sock";
        return new DockerClientBuilder().WithEndpoint(new Uri(endpoint)).WithApiVersion(new System.Version(1, 41)).Build();
    });

    public static DockerClient Client => s_client.Value;

    public static async Task<IList<ContainerListResponse>> ReplicasAsync(string containerId) =>
        await Client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"berth.container={containerId}"] = true },
            },
        });

    public static async Task<string> OnlyReplicaAsync(string containerId)
    {
        var replicas = await ReplicasAsync(containerId);
        Assert.True(replicas.Count == 1, $"expected one replica of {containerId}, found {replicas.Count}");
        return replicas[0].ID;
    }

    /// <summary>Waits until a process whose command line contains <paramref name="command"/> runs in the replica.</summary>
    public static async Task WaitForProcessAsync(string engineId, string command)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var top = await Client.Containers.ListProcessesAsync(engineId, new ContainerListProcessesParameters(), timeout.Token);
            if (top.Processes.Any(p => p.Any(column => column.Contains(command, StringComparison.Ordinal))))
            {
                return;
            }
            await Task.Delay(50, timeout.Token);
        }
    }
}
