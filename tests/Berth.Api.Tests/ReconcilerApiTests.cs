using System.Net;
using System.Net.Http.Json;
using Berth.Api.Tests.Infrastructure;
using Docker.DotNet.Models;

namespace Berth.Api.Tests;

/// <summary>What happens behind Berth's back shows up in its records, with actor <c>system</c>.</summary>
public sealed class ReconcilerApiTests(BerthServer server) : IClassFixture<BerthServer>
{
    private static readonly TimeSpan s_noticeTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task OutsideKill_ShowsAsFailedWithASystemLine()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();

        await DockerProbe.Client.Containers.KillContainerAsync(await DockerProbe.OnlyReplicaAsync(box.Id()), new ContainerKillParameters { Signal = "KILL" });

        var failed = await client.WaitForStateAsync(box.Id(), "failed", s_noticeTimeout);
        Assert.Contains("137", failed.GetProperty("state_reason").GetString()!);
        var last = (await client.StatusLogsAsync(box.Id()))[^1];
        Assert.Equal("system", last.GetProperty("actor").GetString());
        Assert.Equal("running", last.GetProperty("from_status").GetString());
        Assert.Equal("failed", last.GetProperty("to_status").GetString());

        Assert.Equal("running", (await client.OperateAsync(box.Id(), "start")).State());
    }

    [Fact]
    public async Task CleanExitOutside_ShowsAsStopped()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync(new
        {
            hostname = ContainerClient.NewHostname(),
            command = new[] { "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done" },
        });
        var replica = await DockerProbe.OnlyReplicaAsync(box.Id());
        // `sleep` runs only after the trap is set; a TERM before that would end the shell with 143.
        await DockerProbe.WaitForProcessAsync(replica, "sleep");

        await DockerProbe.Client.Containers.KillContainerAsync(replica, new ContainerKillParameters { Signal = "TERM" });

        var stopped = await client.WaitForStateAsync(box.Id(), "stopped", s_noticeTimeout);
        Assert.Contains("exit code 0", stopped.GetProperty("state_reason").GetString()!);
    }

    [Fact]
    public async Task StartedOutside_ShowsAsRunning()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();
        await client.OperateAsync(box.Id(), "stop");

        await DockerProbe.Client.Containers.StartContainerAsync(await DockerProbe.OnlyReplicaAsync(box.Id()), new ContainerStartParameters());

        await client.WaitForStateAsync(box.Id(), "running", s_noticeTimeout);
        Assert.Equal("system", (await client.StatusLogsAsync(box.Id()))[^1].GetProperty("actor").GetString());
    }

    [Fact]
    public async Task ReplicaWithoutRecord_IsRemoved_ButOtherInstancesAreLeftAlone()
    {
        await (await server.AdminClient.GetAsync("/api/v1/containers")).ReadDataAsync();
        var orphanId = Guid.NewGuid().ToString();
        var foreignId = Guid.NewGuid().ToString();
        var orphan = await CreateLabelledAsync(orphanId, server.InstanceId);
        var foreign = await CreateLabelledAsync(foreignId, "another-berth");
        try
        {
            await Eventually.UntilAsync(() => DockerProbe.ReplicasAsync(orphanId), r => r.Count == 0, s_noticeTimeout, "the orphan to be removed");
            Assert.Single(await DockerProbe.ReplicasAsync(foreignId));
        }
        finally
        {
            await DockerProbe.Client.Containers.RemoveContainerAsync(foreign, new ContainerRemoveParameters { Force = true });
            try
            {
                await DockerProbe.Client.Containers.RemoveContainerAsync(orphan, new ContainerRemoveParameters { Force = true });
            }
            catch (global::Docker.DotNet.DockerContainerNotFoundException)
            {
            }
        }
    }

    private static async Task<string> CreateLabelledAsync(string containerId, string instance)
    {
        var created = await DockerProbe.Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = "berth/busybox:latest",
            Labels = new Dictionary<string, string>
            {
                ["berth.managed"] = "true",
                ["berth.instance"] = instance,
                ["berth.container"] = containerId,
                ["berth.replica"] = "0",
            },
        });
        return created.ID;
    }
}

/// <summary>A restart of the server, and an engine that does not answer.</summary>
public sealed class ServerRestartTests
{
    [Fact]
    public async Task Restart_DuringAStop_FinishesTheRecordAndLeavesNothingBehind()
    {
        var dataDirectory = BerthServer.NewDataDirectory();
        var token = Berth.Core.Accounts.TokenHasher.Generate();
        string id;
        try
        {
            await using (var first = new BerthServer(dataDirectory, token, null))
            {
                var box = await first.AdminClient.CreateRunningAsync(new
                {
                    hostname = ContainerClient.NewHostname(),
                    command = new[] { "sh", "-c", "trap '' TERM; while true; do sleep 1; done" },
                });
                id = box.Id();
                await DockerProbe.WaitForProcessAsync(await DockerProbe.OnlyReplicaAsync(id), "sleep");
                // A stop with a long grace: the server goes away while it waits for the engine.
                var stopping = first.AdminClient.PostAsync($"/api/v1/containers/{id}/stop?grace=600", null);
                await Eventually.UntilAsync(() => first.AdminClient.GetContainerAsync(id),
                    c => c.GetProperty("pending_operation").GetString() == "stop", TimeSpan.FromSeconds(30), "the stop to be under way");
                _ = stopping.ContinueWith(t => t.Exception, TaskScheduler.Default);
            }

            await using var second = new BerthServer(dataDirectory, token, null);
            // The replica ignores SIGTERM, so the engine still runs it: that is the state to record.
            var record = await Eventually.UntilAsync(() => second.AdminClient.GetContainerAsync(id),
                c => c.GetProperty("pending_operation").ValueKind == JsonNull, TimeSpan.FromSeconds(60), "the cut-short stop to be finished");
            Assert.Equal("running", record.State());
            Assert.Equal("Berth restarted during stop; the engine shows it still running", record.GetProperty("state_reason").GetString());
            var last = (await second.AdminClient.StatusLogsAsync(id))[^1];
            Assert.Equal("system", last.GetProperty("actor").GetString());

            // Berth can act on it again, and delete leaves nothing on the engine.
            await second.AdminClient.OperateAsync(id, "force-stop");
            await (await second.AdminClient.DeleteAsync($"/api/v1/containers/{id}")).ReadDataAsync();
            Assert.Empty(await DockerProbe.ReplicasAsync(id));
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private const System.Text.Json.JsonValueKind JsonNull = System.Text.Json.JsonValueKind.Null;

    [Fact]
    public async Task EngineUnreachable_ServesRecords_NotReady_CreateFails_Operations503()
    {
        await using var server = new BerthServer(null, null, new Dictionary<string, string?>
        {
            ["Berth:Docker:Endpoint"] = "unix:///nonexistent/docker.sock",
        });

        var ready = await server.Anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);

        var created = await server.AdminClient.CreateAsync(new { hostname = ContainerClient.NewHostname() });
        var failed = await server.AdminClient.WaitForStateAsync(created.Id(), "failed", TimeSpan.FromSeconds(30));
        Assert.Contains("unreachable", failed.GetProperty("state_reason").GetString()!);
        await (await server.AdminClient.GetAsync("/api/v1/containers")).ReadDataAsync();

        var start = await server.AdminClient.PostAsync($"/api/v1/containers/{created.Id()}/start", null);
        var error = await start.AssertErrorAsync(HttpStatusCode.ServiceUnavailable, "EXTERNAL_SERVICE_ERROR");
        Assert.Contains("unreachable", error.GetProperty("message").GetString()!);
        Assert.Equal("failed", (await server.AdminClient.GetContainerAsync(created.Id())).State());
        await (await server.AdminClient.PostAsJsonAsync("/api/v1/tokens", new { name = "still works" })).ReadDataAsync(HttpStatusCode.Created);
    }
}
