using Berth.Core.Engine;
using Docker.DotNet.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Berth.Docker.Tests;

public sealed class UnitTests
{
    [Theory]
    [InlineData("Exited (137) 3 seconds ago", 137)]
    [InlineData("Exited (0) Less than a second ago", 0)]
    [InlineData("Exited (-1) 2 hours ago", -1)]
    [InlineData("Up 3 seconds", null)]
    [InlineData("Created", null)]
    [InlineData(null, null)]
    public void ParseExitCode_StatusText_ReadsTheCode(string? status, int? expected) =>
        Assert.Equal(expected, ReplicaMapper.ParseExitCode(status));

    [Theory]
    [InlineData("created", ReplicaState.Created)]
    [InlineData("running", ReplicaState.Running)]
    [InlineData("paused", ReplicaState.Paused)]
    [InlineData("restarting", ReplicaState.Restarting)]
    [InlineData("exited", ReplicaState.Exited)]
    [InlineData("removing", ReplicaState.Exited)]
    [InlineData("dead", ReplicaState.Dead)]
    public void MapState_DockerState_MapsToReplicaState(string state, ReplicaState expected) =>
        Assert.Equal(expected, ReplicaMapper.MapState(state));

    [Fact]
    public void Map_ListEntry_ReadsIndexExitCodeAndLoopbackPort()
    {
        var replica = ReplicaMapper.Map(new ContainerListResponse
        {
            ID = "abc",
            State = "exited",
            Status = "Exited (2) 1 second ago",
            Labels = new Dictionary<string, string> { ["berth.replica"] = "3" },
            Ports = [new PortSummary { PrivatePort = 80, PublicPort = 49153, IP = "127.0.0.1", Type = "tcp" }],
        });

        Assert.Equal(new ReplicaObservation("abc", 3, ReplicaState.Exited, ExitCode: 2, HostPort: 49153), replica);
        Assert.Null(ReplicaMapper.Map(new ContainerListResponse { ID = "x", State = "running", Labels = new Dictionary<string, string>() }));
    }

    [Fact]
    public void Map_Inspect_ReadsExitCodeOomAndPublishedPort()
    {
        var replica = ReplicaMapper.Map(new ContainerInspectResponse
        {
            ID = "abc",
            Config = new ContainerConfig { Labels = new Dictionary<string, string> { ["berth.replica"] = "1" } },
            State = new State { Status = "exited", ExitCode = 137, OOMKilled = true },
            NetworkSettings = new NetworkSettings
            {
                Ports = new Dictionary<string, IList<PortBinding>> { ["8080/tcp"] = [new PortBinding { HostIP = "127.0.0.1", HostPort = "49160" }] },
            },
        });

        Assert.Equal(new ReplicaObservation("abc", 1, ReplicaState.Exited, ExitCode: 137, OomKilled: true, HostPort: 49160), replica);
    }

    [Theory]
    [InlineData("busybox", "busybox", "latest")]
    [InlineData("berth/busybox:1.36", "berth/busybox", "1.36")]
    [InlineData("localhost:5000/app", "localhost:5000/app", "latest")]
    [InlineData("localhost:5000/app:v2", "localhost:5000/app", "v2")]
    [InlineData("app@sha256:abc", "app", "sha256:abc")]
    public void Split_ImageReference_SeparatesNameAndTag(string image, string name, string tag) =>
        Assert.Equal((name, tag), ImageReference.Split(image));

    [Theory]
    [InlineData("tcp://engine:2375", "unix:///run/other.sock", "tcp://engine:2375")]
    [InlineData(null, "unix:///run/other.sock", "unix:///run/other.sock")]
    [InlineData("", null, "unix:///var/run/docker.sock")]
    public void ResolveEndpoint_ConfiguredThenDockerHostThenDefault(string? configured, string? dockerHost, string expected) =>
        Assert.Equal(expected, DockerEngineOptions.ResolveEndpoint(configured, dockerHost));

    [Fact]
    public void Name_Replica_CombinesHostnameTheRandomEndOfTheIdAndIndex() =>
        Assert.Equal("berth-web-89abcdef-2", ReplicaLabels.Name("web", Guid.Parse("01a20a01-0000-7000-8000-000089abcdef"), 2));

    [Fact]
    public void Name_LaterGeneration_EndsWithItSoOldAndNewCanRunSideBySide() =>
        Assert.Equal("berth-web-89abcdef-2-v3", ReplicaLabels.Name("web", Guid.Parse("01a20a01-0000-7000-8000-000089abcdef"), 2, 3));

    [Fact]
    public void Blueprint_DeployedReplica_GenerationLabelOwnNameNamedVolumesAndDiskLimitWhenAsked()
    {
        var spec = new Berth.Core.Engine.WorkloadSpec
        {
            ContainerId = Guid.Parse("01a20a01-0000-7000-8000-000089abcdef"),
            Hostname = "web",
            Image = "app:2",
            Env = [new Berth.Core.Containers.EnvVar("A", "1")],
            Volumes = [new Berth.Core.Containers.VolumeMount("data", "/data")],
            DiskGb = 20,
            Generation = 3,
        };

        var limited = ReplicaBlueprint.For(spec, "instance", 1, limitDisk: true);
        var unlimited = ReplicaBlueprint.For(spec, "instance", 1);

        Assert.Equal("3", limited.Labels[ReplicaLabels.Generation]);
        Assert.Equal(["A=1", "BERTH_REPLICA=berth-web-89abcdef-1-v3"], limited.Env);
        var mount = Assert.Single(limited.HostConfig!.Mounts!);
        Assert.Equal(("volume", "berth-01a20a01000070008000000089abcdef-data", "/data"), (mount.Type, mount.Source, mount.Target));
        Assert.Equal("20G", limited.HostConfig!.StorageOpt!["size"]);
        Assert.Null(unlimited.HostConfig!.StorageOpt);
    }

    [Fact]
    public void From_EventOfABerthReplica_MapsToEngineEvent()
    {
        var containerId = Guid.NewGuid();
        var message = new Message
        {
            Type = "container",
            Action = "die",
            Actor = new Actor { ID = "abc", Attributes = new Dictionary<string, string> { ["berth.container"] = containerId.ToString() } },
        };

        Assert.Equal(new EngineEvent(containerId, "die"), EngineEvents.From(message));
        Assert.Null(EngineEvents.From(new Message { Type = "network", Action = "connect", Actor = message.Actor }));
        Assert.Null(EngineEvents.From(new Message { Type = "container", Action = "die", Actor = new Actor { ID = "x" } }));
    }

    [Fact]
    public void AddDockerEngine_WithoutInstanceId_FailsValidation()
    {
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddDockerEngine(options => options.InstanceId = " ");
        using var provider = services.BuildServiceProvider();

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IContainerEngine>());
    }

    [Fact]
    public void AddDockerEngine_EndpointInConfiguration_IsUsedUnlessConfiguredInCode()
    {
        var configuration = new DictionaryConfiguration(new() { ["Berth:Docker:Endpoint"] = "tcp://from-config:2375" });

        Assert.Equal("tcp://from-config:2375", EndpointOf(configuration, _ => { }));
        Assert.Equal("tcp://from-code:2375", EndpointOf(configuration, options => options.Endpoint = "tcp://from-code:2375"));

        static string? EndpointOf(IConfiguration configuration, Action<DockerEngineOptions> configure)
        {
            var services = new ServiceCollection();
            services.AddSingleton(configuration);
            services.AddDockerEngine(options =>
            {
                options.InstanceId = "unit";
                configure(options);
            });
            using var provider = services.BuildServiceProvider();
            return provider.GetRequiredService<IOptions<DockerEngineOptions>>().Value.Endpoint;
        }
    }

    [Fact]
    public void AddDockerEngine_Registration_IsOneSingleton()
    {
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddDockerEngine(options => options.InstanceId = "unit");
        using var provider = services.BuildServiceProvider();

        Assert.Same(provider.GetRequiredService<IContainerEngine>(), provider.GetRequiredService<IContainerEngine>());
        Assert.False(string.IsNullOrEmpty(provider.GetRequiredService<IOptions<DockerEngineOptions>>().Value.Endpoint));
    }
}

/// <summary>Just enough configuration to read a key, without a configuration provider package.</summary>
internal sealed class DictionaryConfiguration(Dictionary<string, string?> values) : IConfiguration
{
    public string? this[string key]
    {
        get => values.GetValueOrDefault(key);
        set => values[key] = value;
    }

    public IEnumerable<IConfigurationSection> GetChildren() => [];

    public Microsoft.Extensions.Primitives.IChangeToken GetReloadToken() => throw new NotSupportedException();

    public IConfigurationSection GetSection(string key) => throw new NotSupportedException();
}
