using System.Globalization;
using System.Net;
using Berth.Core.Ingress;
using Docker.DotNet.Models;

namespace Berth.Api.Tests.Infrastructure;

/// <summary>
/// The test web images that scripts/build-web-images.sh builds: busybox httpd on port 8080 serving
/// <c>/</c> (the version), <c>/health</c>, <c>/cgi-bin/whoami</c> ("version replica greeting") and
/// <c>/cgi-bin/slow?N</c> (the same after N seconds).
/// </summary>
public static class WebImages
{
    public const string V1 = "berth/web:v1";
    public const string V2 = "berth/web:v2";
    /// <summary>Serves like the others, but <c>/health</c> answers 404.</summary>
    public const string Broken = "berth/web:broken";
    public const int Port = 8080;
}

/// <summary>A web container started straight on the engine, reached at <c>127.0.0.1:HostPort</c>.</summary>
public sealed record WebReplica(string EngineId, string Name, int HostPort)
{
    public IngressBackend Backend => new(Name, HostPort);
}

/// <summary>
/// Starts web containers on the engine behind Berth's back (labelled, and removed on dispose), for tests of the
/// ingress that need replicas but no deployment.
/// </summary>
public sealed class WebReplicas : IAsyncDisposable
{
    private static readonly HttpClient s_direct = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _run = Guid.NewGuid().ToString("N");

    /// <summary>Starts <paramref name="image"/> with <c>BERTH_REPLICA=name</c> and waits until it serves.</summary>
    public async Task<WebReplica> StartAsync(string image, string name, string greeting = "hello")
    {
        var created = await DockerProbe.Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = image,
            Env = [$"BERTH_REPLICA={name}", $"GREETING={greeting}"],
            Labels = new Dictionary<string, string> { ["berth.test"] = "ingress", ["berth.test.run"] = _run },
            ExposedPorts = new Dictionary<string, EmptyStruct> { ["8080/tcp"] = default },
            HostConfig = new HostConfig
            {
                PortBindings = new Dictionary<string, IList<PortBinding>>
                {
                    ["8080/tcp"] = [new PortBinding { HostIP = "127.0.0.1", HostPort = "" }],
                },
            },
        });
        await DockerProbe.Client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
        var inspected = await DockerProbe.Client.Containers.InspectContainerAsync(created.ID);
        var binding = inspected.NetworkSettings?.Ports?["8080/tcp"]?.FirstOrDefault()
            ?? throw new InvalidOperationException($"{image} has no published port 8080");
        var port = int.Parse(binding.HostPort, CultureInfo.InvariantCulture);
        await Eventually.UntilAsync(
            async () => (await s_direct.GetAsync(new Uri($"http://127.0.0.1:{port}/"))).StatusCode,
            status => status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30),
            $"{image} ({name}) to serve on port {port}");
        return new WebReplica(created.ID, name, port);
    }

    public static async Task StopAsync(WebReplica replica) =>
        await DockerProbe.Client.Containers.StopContainerAsync(replica.EngineId, new ContainerStopParameters { WaitBeforeKillSeconds = 5 });

    public async ValueTask DisposeAsync()
    {
        var containers = await DockerProbe.Client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"berth.test.run={_run}"] = true },
            },
        });
        await Task.WhenAll(containers.Select(c => DockerProbe.Client.Containers.RemoveContainerAsync(
            c.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true })));
    }
}
