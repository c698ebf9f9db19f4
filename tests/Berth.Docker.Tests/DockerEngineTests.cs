using System.Diagnostics;
using Berth.Core.Containers;
using Berth.Core.Engine;
using Docker.DotNet.Models;

namespace Berth.Docker.Tests;

[Collection(DockerCollection.Name)]
public sealed class DockerEngineTests(DockerFixture fixture) : IDisposable
{
    private readonly CancellationTokenSource _timeout = new(DockerFixture.Patience);

    private CancellationToken Ct => _timeout.Token;

    public void Dispose() => _timeout.Dispose();

    [Fact]
    public async Task ApplyAsync_NewWorkload_CreatesLabelledHardenedReplicas()
    {
        await using var instance = fixture.NewInstance();
        var projectId = Guid.NewGuid();
        var spec = DockerFixture.Spec(replicas: 2, command: ["httpd", "-f", "-p", "8080"], port: 8080) with
        {
            ProjectId = projectId,
            Env = [new EnvVar("GREETING", "hello"), new EnvVar("EMPTY", "")],
        };

        var observation = await instance.Engine.ApplyAsync(spec, Ct);

        Assert.Equal([0, 1], observation.Replicas.Select(r => r.Index));
        Assert.True(observation.AllIn(ReplicaState.Created), observation.ToString());
        foreach (var replica in observation.Replicas)
        {
            var inspect = await fixture.Client.Containers.InspectContainerAsync(replica.EngineId, Ct);
            Assert.Equal($"/berth-{spec.Hostname}-{spec.ContainerId.ToString("N")[^8..]}-{replica.Index}", inspect.Name);
            var config = inspect.Config!;
            var labels = config.Labels!;
            Assert.Equal("true", labels["berth.managed"]);
            Assert.Equal(instance.InstanceId, labels["berth.instance"]);
            Assert.Equal(spec.ContainerId.ToString(), labels["berth.container"]);
            Assert.Equal(replica.Index.ToString(), labels["berth.replica"]);
            Assert.Equal(projectId.ToString(), labels["berth.project"]);
            Assert.Equal(spec.Hostname, config.Hostname);
            Assert.Contains("GREETING=hello", config.Env);
            Assert.Contains("EMPTY=", config.Env);
            Assert.Equal(["httpd", "-f", "-p", "8080"], config.Cmd);

            var host = inspect.HostConfig!;
            Assert.True(host.Init == true);
            Assert.Contains("no-new-privileges:true", host.SecurityOpt);
            foreach (var capability in new[] { "NET_RAW", "MKNOD", "AUDIT_WRITE", "SETFCAP", "SYS_CHROOT", "SETPCAP", "FSETID" })
            {
                Assert.Contains(capability, host.CapDrop);
            }
            Assert.False(host.Privileged);
            Assert.Empty(host.CapAdd ?? []);
            Assert.Equal(100, host.PidsLimit);
            Assert.Equal(64L * 1024 * 1024, host.Memory);
            Assert.Equal(64L * 1024 * 1024, host.MemorySwap);
            Assert.Equal(500_000_000, host.NanoCPUs);
            Assert.Equal(RestartPolicyKind.No, host.RestartPolicy.Name);
            Assert.Empty(host.Binds ?? []);
            Assert.Empty(host.Mounts ?? []);
            var binding = Assert.Single(Assert.Single(host.PortBindings).Value);
            Assert.Equal("127.0.0.1", binding.HostIP);
        }

        var started = await instance.Engine.StartAsync(spec.ContainerId, Ct);

        Assert.True(started.AllIn(ReplicaState.Running), started.ToString());
        Assert.All(started.Replicas, r => Assert.NotNull(r.HostPort));
        Assert.Equal(2, started.Replicas.Select(r => r.HostPort).Distinct().Count());
        foreach (var replica in started.Replicas)
        {
            var inspect = await fixture.Client.Containers.InspectContainerAsync(replica.EngineId, Ct);
            var published = Assert.Single(inspect.NetworkSettings!.Ports["8080/tcp"]!);
            Assert.Equal("127.0.0.1", published.HostIP);
            Assert.Equal(replica.HostPort.ToString(), published.HostPort);
        }
    }

    [Fact]
    public async Task LifecycleOperations_RunningReplicas_ChangeObservedStates()
    {
        await using var instance = fixture.NewInstance();
        var engine = instance.Engine;
        var spec = DockerFixture.Spec(replicas: 2);
        await engine.ApplyAsync(spec, Ct);

        var started = await engine.StartAsync(spec.ContainerId, Ct);
        Assert.True(started.AllIn(ReplicaState.Running), started.ToString());
        Assert.True((await engine.StartAsync(spec.ContainerId, Ct)).AllIn(ReplicaState.Running));

        var paused = await engine.PauseAsync(spec.ContainerId, Ct);
        Assert.True(paused.AllIn(ReplicaState.Paused), paused.ToString());
        Assert.True((await engine.PauseAsync(spec.ContainerId, Ct)).AllIn(ReplicaState.Paused));

        var unpaused = await engine.UnpauseAsync(spec.ContainerId, Ct);
        Assert.True(unpaused.AllIn(ReplicaState.Running), unpaused.ToString());
        Assert.True((await engine.UnpauseAsync(spec.ContainerId, Ct)).AllIn(ReplicaState.Running));

        var killed = await engine.KillAsync(spec.ContainerId, Ct);
        Assert.True(killed.AllIn(ReplicaState.Exited), killed.ToString());
        Assert.All(killed.Replicas, r => Assert.Equal(137, r.ExitCode));
        Assert.All(killed.Replicas, r => Assert.False(r.OomKilled));
        Assert.True((await engine.KillAsync(spec.ContainerId, Ct)).AllIn(ReplicaState.Exited));

        Assert.True((await engine.StartAsync(spec.ContainerId, Ct)).AllIn(ReplicaState.Running));
        var stopped = await engine.StopAsync(spec.ContainerId, TimeSpan.FromSeconds(30), Ct);
        Assert.True(stopped.AllIn(ReplicaState.Exited), stopped.ToString());
        // The init forwards SIGTERM and the process dies of it, long before the grace period.
        Assert.All(stopped.Replicas, r => Assert.Equal(143, r.ExitCode));
        Assert.True((await engine.StopAsync(spec.ContainerId, TimeSpan.FromSeconds(30), Ct)).AllIn(ReplicaState.Exited));

        var observed = await engine.ObserveAsync(spec.ContainerId, Ct);
        Assert.Equal(stopped.Replicas.Select(r => r.EngineId), observed.Replicas.Select(r => r.EngineId));
    }

    [Fact]
    public async Task KillAsync_PausedReplica_EndsItAndStartCanFollow()
    {
        await using var instance = fixture.NewInstance();
        var spec = DockerFixture.Spec();
        await instance.Engine.ApplyAsync(spec, Ct);
        await instance.Engine.StartAsync(spec.ContainerId, Ct);
        await instance.Engine.PauseAsync(spec.ContainerId, Ct);

        var killed = await instance.Engine.KillAsync(spec.ContainerId, Ct);

        Assert.True(killed.AllIn(ReplicaState.Exited), killed.ToString());
        Assert.True((await instance.Engine.StartAsync(spec.ContainerId, Ct)).AllIn(ReplicaState.Running));
    }

    [Fact]
    public async Task StopAsync_ProcessIgnoringSigterm_IsKilledAfterGrace()
    {
        await using var instance = fixture.NewInstance();
        var spec = DockerFixture.Spec(command: ["sh", "-c", "trap '' TERM; sleep 1000"]);
        await instance.Engine.ApplyAsync(spec, Ct);
        var started = await instance.Engine.StartAsync(spec.ContainerId, Ct);
        // `sleep` runs only after the trap is set; a TERM before that would end the shell at once.
        await fixture.WaitForProcessAsync(Assert.Single(started.Replicas).EngineId, "sleep");
        var grace = TimeSpan.FromSeconds(2);

        var clock = Stopwatch.StartNew();
        var stopped = await instance.Engine.StopAsync(spec.ContainerId, grace, Ct);
        clock.Stop();

        Assert.True(stopped.AllIn(ReplicaState.Exited), stopped.ToString());
        Assert.Equal(137, Assert.Single(stopped.Replicas).ExitCode);
        Assert.True(clock.Elapsed >= grace - TimeSpan.FromMilliseconds(100), $"stopped after {clock.Elapsed}, before the grace period");
    }

    [Fact]
    public async Task ApplyAsync_FewerReplicas_RemovesTheExtraOnes()
    {
        await using var instance = fixture.NewInstance();
        var spec = DockerFixture.Spec(replicas: 3);
        var three = await instance.Engine.ApplyAsync(spec, Ct);
        await instance.Engine.StartAsync(spec.ContainerId, Ct);

        var one = await instance.Engine.ApplyAsync(spec with { Replicas = 1 }, Ct);

        var kept = Assert.Single(one.Replicas);
        Assert.Equal(0, kept.Index);
        Assert.Equal(three.Replicas[0].EngineId, kept.EngineId);
        Assert.Equal(ReplicaState.Running, kept.State);
        Assert.Equal(kept.EngineId, Assert.Single(await instance.ListOwnAsync(spec.ContainerId)).ID);

        var again = await instance.Engine.ApplyAsync(spec with { Replicas = 2 }, Ct);
        Assert.Equal([0, 1], again.Replicas.Select(r => r.Index));
        Assert.Equal(kept.EngineId, again.Replicas[0].EngineId);
        Assert.Equal(ReplicaState.Created, again.Replicas[1].State);
    }

    [Fact]
    public async Task RemoveAsync_RunningReplicas_RemovesThemAll()
    {
        await using var instance = fixture.NewInstance();
        var spec = DockerFixture.Spec(replicas: 2);
        await instance.Engine.ApplyAsync(spec, Ct);
        await instance.Engine.StartAsync(spec.ContainerId, Ct);

        await instance.Engine.RemoveAsync(spec.ContainerId, Ct);

        Assert.Empty(await instance.ListOwnAsync(spec.ContainerId));
        Assert.False((await instance.Engine.ObserveAsync(spec.ContainerId, Ct)).Exists);
        await instance.Engine.RemoveAsync(spec.ContainerId, Ct);
        Assert.False((await instance.Engine.StartAsync(spec.ContainerId, Ct)).Exists);
    }

    [Fact]
    public async Task ObserveAllAsync_OtherInstancesAndForeignContainers_SeesOnlyItsOwn()
    {
        await using var mine = fixture.NewInstance();
        await using var theirs = fixture.NewInstance();
        var first = DockerFixture.Spec(replicas: 2);
        var second = DockerFixture.Spec();
        var foreign = DockerFixture.Spec();
        await mine.Engine.ApplyAsync(first, Ct);
        await mine.Engine.ApplyAsync(second, Ct);
        await theirs.Engine.ApplyAsync(foreign, Ct);
        // Claims to be a replica of one of mine, but no instance label: not Berth's to see.
        var unlabelled = await fixture.Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = DockerFixture.Image,
            Labels = new Dictionary<string, string> { ["berth.container"] = first.ContainerId.ToString(), ["berth.replica"] = "7" },
        }, Ct);
        try
        {
            var all = await mine.Engine.ObserveAllAsync(Ct);

            Assert.Equal(
                new[] { first.ContainerId, second.ContainerId }.Order(),
                all.Select(o => o.ContainerId).Order());
            Assert.Equal([0, 1], all.Single(o => o.ContainerId == first.ContainerId).Replicas.Select(r => r.Index));
            Assert.Equal(foreign.ContainerId, Assert.Single(await theirs.Engine.ObserveAllAsync(Ct)).ContainerId);
            Assert.False((await mine.Engine.ObserveAsync(foreign.ContainerId, Ct)).Exists);
        }
        finally
        {
            await fixture.Client.Containers.RemoveContainerAsync(unlabelled.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
        }
    }

    [Fact]
    public async Task WatchAsync_OutsideDockerKill_YieldsEvent()
    {
        await using var instance = fixture.NewInstance();
        var spec = DockerFixture.Spec();
        var started = await instance.Engine.StartAsync((await instance.Engine.ApplyAsync(spec, Ct)).ContainerId, Ct);
        var engineId = Assert.Single(started.Replicas).EngineId;
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        // The kill follows the subscription at once: the engine may not have set it up yet, and the
        // event must arrive all the same.
        var events = instance.Engine.WatchAsync(watching.Token).GetAsyncEnumerator(watching.Token);
        var first = events.MoveNextAsync();
        await fixture.Client.Containers.KillContainerAsync(engineId, new ContainerKillParameters { Signal = "KILL" }, Ct);

        var seen = new List<EngineEvent>();
        for (var more = await first; more; more = await events.MoveNextAsync())
        {
            seen.Add(events.Current);
            if (events.Current == new EngineEvent(spec.ContainerId, "die"))
            {
                break;
            }
        }
        Assert.Contains(new EngineEvent(spec.ContainerId, "kill"), seen);
        Assert.Contains(new EngineEvent(spec.ContainerId, "die"), seen);
        var observed = Assert.Single((await instance.Engine.ObserveAsync(spec.ContainerId, Ct)).Replicas);
        Assert.Equal((ReplicaState.Exited, 137, false), (observed.State, observed.ExitCode, observed.OomKilled));

        await watching.CancelAsync();
        Assert.False(await events.MoveNextAsync().AsTask().WaitAsync(DockerFixture.Patience));
        await events.DisposeAsync();
    }

    [Fact]
    public async Task WatchAsync_Cancelled_EndsQuietly()
    {
        await using var instance = fixture.NewInstance();
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var events = instance.Engine.WatchAsync(watching.Token).GetAsyncEnumerator(watching.Token);
        var next = events.MoveNextAsync().AsTask();

        await watching.CancelAsync();

        Assert.False(await next.WaitAsync(DockerFixture.Patience));
        await events.DisposeAsync().AsTask().WaitAsync(DockerFixture.Patience);
    }

    [Fact]
    public async Task WatchAsync_OtherInstance_SeesNothingOfIt()
    {
        await using var mine = fixture.NewInstance();
        await using var theirs = fixture.NewInstance();
        var spec = DockerFixture.Spec();
        var marker = DockerFixture.Spec();
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var events = mine.Engine.WatchAsync(watching.Token).GetAsyncEnumerator(watching.Token);
        var first = events.MoveNextAsync();

        await theirs.Engine.ApplyAsync(spec, Ct);
        await theirs.Engine.StartAsync(spec.ContainerId, Ct);
        // Something of mine afterwards: once it shows up, theirs would have shown up before it.
        await mine.Engine.ApplyAsync(marker, Ct);

        Assert.True(await first);
        Assert.Equal(new EngineEvent(marker.ContainerId, "create"), events.Current);
        await watching.CancelAsync();
        await events.DisposeAsync();
    }

    [Fact]
    public async Task ObserveAsync_ReplicaOverItsMemoryLimit_ReportsOomKilled()
    {
        await using var instance = fixture.NewInstance();
        // tail holds its whole input in memory, far beyond the limit.
        var spec = DockerFixture.Spec(command: ["sh", "-c", "head -c 512m /dev/zero | tail"]) with { MemoryMb = 16 };
        await instance.Engine.ApplyAsync(spec, Ct);
        await using var events = instance.Engine.WatchAsync(Ct).GetAsyncEnumerator(Ct);
        var first = events.MoveNextAsync();

        await instance.Engine.StartAsync(spec.ContainerId, Ct);
        for (var more = await first; more && events.Current.Action != "die"; more = await events.MoveNextAsync())
        {
        }

        // Observed right after the event, with no polling: the watch promises it is already visible.
        var replica = Assert.Single((await instance.Engine.ObserveAsync(spec.ContainerId, Ct)).Replicas);
        Assert.Equal(ReplicaState.Exited, replica.State);
        Assert.Equal(137, replica.ExitCode);
        Assert.True(replica.OomKilled);
    }

    [Fact]
    public async Task StartAsync_CommandNotFound_ReplicaExitsWith127()
    {
        await using var instance = fixture.NewInstance();
        var spec = DockerFixture.Spec(command: ["/no/such/program"]);
        await instance.Engine.ApplyAsync(spec, Ct);
        await using var events = instance.Engine.WatchAsync(Ct).GetAsyncEnumerator(Ct);
        var first = events.MoveNextAsync();

        // The init process starts, then fails to run the command: the start succeeds and the replica exits.
        await instance.Engine.StartAsync(spec.ContainerId, Ct);
        for (var more = await first; more && events.Current.Action != "die"; more = await events.MoveNextAsync())
        {
        }

        var replica = Assert.Single((await instance.Engine.ObserveAsync(spec.ContainerId, Ct)).Replicas);
        Assert.Equal((ReplicaState.Exited, 127, false), (replica.State, replica.ExitCode, replica.OomKilled));
    }

    [Fact]
    public async Task ApplyAsync_MissingImage_ThrowsEngineUnavailableNamingTheImage()
    {
        await using var instance = fixture.NewInstance();
        // A registry that refuses at once: no test waits on the internet.
        var spec = DockerFixture.Spec(image: "127.0.0.1:1/berth-missing:latest");

        var error = await Assert.ThrowsAsync<EngineUnavailableException>(() => instance.Engine.ApplyAsync(spec, Ct));

        Assert.Contains("127.0.0.1:1/berth-missing:latest", error.Message);
        Assert.Contains("could not be found", error.Message);
        Assert.Empty(await instance.ListOwnAsync(spec.ContainerId));
    }

    [Fact]
    public async Task Operations_UnreachableEndpoint_ThrowEngineUnavailableFast()
    {
        await using var instance = fixture.NewInstance("unix:///nonexistent.sock");
        var clock = Stopwatch.StartNew();

        var ping = await Assert.ThrowsAsync<EngineUnavailableException>(() => instance.Engine.PingAsync(Ct));
        var observe = await Assert.ThrowsAsync<EngineUnavailableException>(() => instance.Engine.ObserveAsync(Guid.NewGuid(), Ct));
        var apply = await Assert.ThrowsAsync<EngineUnavailableException>(() => instance.Engine.ApplyAsync(DockerFixture.Spec(), Ct));
        var watch = await Assert.ThrowsAsync<EngineUnavailableException>(async () =>
        {
            await foreach (var _ in instance.Engine.WatchAsync(Ct))
            {
            }
        });

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        foreach (var error in new[] { ping, observe, apply, watch })
        {
            Assert.StartsWith("Docker engine at unix:///nonexistent.sock is unreachable", error.Message);
        }
    }

    [Fact]
    public async Task PingAsync_Engine_Answers()
    {
        await using var instance = fixture.NewInstance();

        await instance.Engine.PingAsync(Ct);
    }
}
