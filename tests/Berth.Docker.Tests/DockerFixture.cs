using Berth.Core.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Docker.Tests;

[CollectionDefinition(Name)]
public sealed class DockerCollection : ICollectionFixture<DockerFixture>
{
    public const string Name = "docker";
}

/// <summary>
/// The real engine at DOCKER_HOST. Fails every test of the collection with a clear message when it
/// does not answer: these tests never skip.
/// </summary>
public sealed class DockerFixture : IAsyncLifetime
{
    public const string Image = "berth/busybox:latest";

    /// <summary>Generous: a loaded CI machine can be slow to start containers. Typical runs take seconds.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    public DockerFixture()
    {
        Endpoint = DockerEngineOptions.ResolveEndpoint(null, Environment.GetEnvironmentVariable("DOCKER_HOST"));
        Client = new DockerClientBuilder().WithEndpoint(new Uri(Endpoint)).WithApiVersion(DockerConnection.ApiVersion).Build();
    }

    public string Endpoint { get; }

    /// <summary>Waits until a process whose command line contains <paramref name="command"/> runs in the replica.</summary>
    public async Task WaitForProcessAsync(string engineId, string command)
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

    /// <summary>Docker itself, to check what the engine did and to act behind Berth's back.</summary>
    public DockerClient Client { get; }

    public async Task InitializeAsync()
    {
        try
        {
            await Client.System.PingAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            await Client.Images.InspectImageAsync(Image, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"These tests need a Docker engine at {Endpoint} (set DOCKER_HOST) with the image {Image}; scripts/ensure-docker.sh provides both. {e.GetType().Name}: {e.Message}", e);
        }
    }

    public Task DisposeAsync()
    {
        Client.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A Berth instance of its own, so that no test sees another's replicas.</summary>
    public TestInstance NewInstance(string? endpoint = null) => new(this, endpoint ?? Endpoint);

    public static WorkloadSpec Spec(int replicas = 1, IReadOnlyList<string>? command = null, int? port = null, string image = Image) => new()
    {
        ContainerId = Guid.NewGuid(),
        Hostname = "t" + Guid.NewGuid().ToString("N")[..6],
        Image = image,
        Command = command,
        Port = port,
        Replicas = replicas,
        CpuCores = 0.5,
        MemoryMb = 64,
        PidsLimit = 100,
    };
}

/// <summary>One engine with a random instance id; disposing it removes whatever carries that id.</summary>
public sealed class TestInstance : IAsyncDisposable
{
    private readonly DockerFixture _fixture;
    private readonly ServiceProvider _services;

    internal TestInstance(DockerFixture fixture, string endpoint)
    {
        _fixture = fixture;
        InstanceId = "test-" + Guid.NewGuid().ToString("N")[..12];
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddDockerEngine(options =>
        {
            options.InstanceId = InstanceId;
            options.Endpoint = endpoint;
        });
        _services = services.BuildServiceProvider();
        Engine = _services.GetRequiredService<IContainerEngine>();
    }

    public string InstanceId { get; }

    public IContainerEngine Engine { get; }

    public async Task<IList<ContainerListResponse>> ListOwnAsync(Guid? containerId = null)
    {
        var labels = new Dictionary<string, bool> { [$"berth.instance={InstanceId}"] = true };
        if (containerId is { } id)
        {
            labels[$"berth.container={id:D}"] = true;
        }
        return await _fixture.Client.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = labels } },
            CancellationToken.None).WaitAsync(DockerFixture.Patience);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var container in await ListOwnAsync())
        {
            try
            {
                await _fixture.Client.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, CancellationToken.None)
                    .WaitAsync(DockerFixture.Patience);
            }
            catch (DockerContainerNotFoundException)
            {
            }
        }
        await _services.DisposeAsync();
    }
}
