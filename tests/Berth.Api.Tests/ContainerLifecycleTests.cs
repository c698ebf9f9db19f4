using System.Net;
using System.Net.Http.Json;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests;

/// <summary>The person-flow of the README on the real engine: create, operate, read the history, delete.</summary>
public sealed class ContainerLifecycleTests(BerthServer server) : IClassFixture<BerthServer>
{
    [Fact]
    public async Task Create_WithOnlyAHostname_ReturnsProvisioningThenRuns()
    {
        var (userId, client) = await server.CreateUserClientAsync();
        var hostname = ContainerClient.NewHostname();

        var created = await client.CreateAsync(new { hostname });

        Assert.Equal("provisioning", created.State());
        Assert.Equal(hostname, created.GetProperty("hostname").GetString());
        Assert.Equal(userId, created.GetProperty("user_id").GetGuid());
        Assert.Equal(1, created.GetProperty("cpu_cores").GetDouble());
        Assert.Equal(512, created.GetProperty("memory_mb").GetInt32());
        Assert.Equal(18, created.GetProperty("disk_gb").GetInt32());
        Assert.Equal("berth/busybox:latest", created.GetProperty("image").GetString());
        var running = await client.WaitForStateAsync(created.Id(), "running");
        Assert.NotEqual(JsonValueKindNull, running.GetProperty("observed_at").ValueKind);
        Assert.Single(await DockerProbe.ReplicasAsync(created.Id()));
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;

    [Fact]
    public async Task Operations_FullCycle_EachAnswersTheConfirmedStateAndTheLogHoldsThemAll()
    {
        var (userId, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();
        var id = box.Id();

        Assert.Equal("stopped", (await client.OperateAsync(id, "stop")).State());
        Assert.Equal("exited", (await DockerProbe.Client.Containers.InspectContainerAsync(await DockerProbe.OnlyReplicaAsync(id))).State!.Status);
        Assert.Equal("running", (await client.OperateAsync(id, "start")).State());
        Assert.Equal("paused", (await client.OperateAsync(id, "pause")).State());
        Assert.True((await DockerProbe.Client.Containers.InspectContainerAsync(await DockerProbe.OnlyReplicaAsync(id))).State!.Paused);
        Assert.Equal("running", (await client.OperateAsync(id, "resume")).State());
        Assert.Equal("paused", (await client.OperateAsync(id, "pause")).State());
        Assert.Equal("running", (await client.OperateAsync(id, "unpause")).State());
        Assert.Equal("running", (await client.OperateAsync(id, "restart")).State());
        Assert.Equal("stopped", (await client.OperateAsync(id, "force-stop")).State());

        var log = await client.StatusLogsAsync(id);
        Assert.Equal(
            ["create", "create", "stop", "start", "pause", "resume", "pause", "resume", "restart", "force-stop"],
            log.Select(l => l.GetProperty("operation").GetString()!).ToArray());
        Assert.Equal(
            ["provisioning", "running", "stopped", "running", "paused", "running", "paused", "running", "running", "stopped"],
            log.Select(l => l.GetProperty("to_status").GetString()!).ToArray());
        Assert.All(log, l => Assert.Equal(userId.ToString(), l.GetProperty("actor").GetString()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, log[0].GetProperty("from_status").ValueKind);
        Assert.Equal("provisioning", log[1].GetProperty("from_status").GetString());
    }

    [Fact]
    public async Task Operate_ByHostname_Works()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();
        var hostname = box.GetProperty("hostname").GetString()!;

        var stopped = await client.OperateAsync(hostname, "stop");

        Assert.Equal(box.Id(), stopped.Id());
        Assert.Equal("stopped", stopped.State());
        Assert.Equal(box.Id(), (await client.GetContainerAsync(hostname)).Id());
    }

    [Fact]
    public async Task Start_WhenRunning_Returns400OperationStateConflict()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();

        var response = await client.PostAsync($"/api/v1/containers/{box.Id()}/start", null);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "OPERATION_STATE_CONFLICT");
        Assert.Equal("Container is already running", error.GetProperty("message").GetString());
        Assert.Equal("running", error.GetProperty("details").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Pause_WhenStopped_Returns400OperationStateConflict()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();
        await client.OperateAsync(box.Id(), "stop");

        var response = await client.PostAsync($"/api/v1/containers/{box.Id()}/pause", null);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "OPERATION_STATE_CONFLICT");
    }

    [Fact]
    public async Task Operate_UnknownOperation_Returns400ValidationError()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateAsync(new { hostname = ContainerClient.NewHostname() });

        var response = await client.PostAsync($"/api/v1/containers/{box.Id()}/explode", null);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["operation"], error.Fields());
    }

    [Fact]
    public async Task Stop_WithGrace_KillsAProcessThatIgnoresSigtermAfterTheGrace()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync(new
        {
            hostname = ContainerClient.NewHostname(),
            command = new[] { "sh", "-c", "trap '' TERM; while true; do sleep 1; done" },
        });

        await DockerProbe.WaitForProcessAsync(await DockerProbe.OnlyReplicaAsync(box.Id()), "sleep");
        var started = TimeProvider.System.GetTimestamp();
        var stopped = await client.OperateAsync($"{box.Id()}", "stop?grace=1");
        var elapsed = TimeProvider.System.GetElapsedTime(started);

        Assert.Equal("stopped", stopped.State());
        Assert.True(elapsed >= TimeSpan.FromSeconds(1), $"stopped after {elapsed}, before the grace period ended");
        Assert.True(elapsed < TimeSpan.FromSeconds(9), $"took {elapsed}: the default 10 s grace was used instead");
    }

    [Fact]
    public async Task Stop_BadGrace_Returns400ValidationError()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateAsync(new { hostname = ContainerClient.NewHostname() });

        var response = await client.PostAsync($"/api/v1/containers/{box.Id()}/stop?grace=-3", null);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["grace"], error.Fields());
    }

    [Fact]
    public async Task Create_WithReplicas_RunsThatManyHardenedLabelledEngineContainers()
    {
        var (userId, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync(new { hostname = ContainerClient.NewHostname(), replicas = 2, cpu_cores = 0.5, memory_mb = 64 });

        var replicas = await DockerProbe.ReplicasAsync(box.Id());
        Assert.Equal(2, replicas.Count);
        Assert.Equal(["0", "1"], replicas.Select(r => r.Labels["berth.replica"]).Order().ToArray());
        foreach (var replica in replicas)
        {
            var inspect = await DockerProbe.Client.Containers.InspectContainerAsync(replica.ID);
            Assert.Equal("true", inspect.Config!.Labels["berth.managed"]);
            Assert.Equal(64L * 1024 * 1024, inspect.HostConfig!.Memory);
            Assert.Equal(500_000_000L, inspect.HostConfig.NanoCPUs);
            Assert.True(inspect.HostConfig.PidsLimit > 0);
            Assert.Contains(inspect.HostConfig.SecurityOpt, o => o.StartsWith("no-new-privileges", StringComparison.Ordinal));
            Assert.NotEmpty(inspect.HostConfig.CapDrop);
        }

        Assert.Equal("stopped", (await client.OperateAsync(box.Id(), "stop")).State());
        Assert.All(await DockerProbe.ReplicasAsync(box.Id()), r => Assert.Equal("exited", r.State));
    }

    [Fact]
    public async Task Delete_RemovesTheReplicasAndTheRecord()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();

        var response = await client.DeleteAsync($"/api/v1/containers/{box.Id()}");

        await response.ReadDataAsync();
        Assert.Empty(await DockerProbe.ReplicasAsync(box.Id()));
        await (await client.GetAsync($"/api/v1/containers/{box.Id()}")).AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
        var list = await (await client.GetAsync("/api/v1/containers")).ReadDataAsync();
        Assert.DoesNotContain(list.EnumerateArray(), c => c.Id() == box.Id());
    }

    [Fact]
    public async Task Delete_ThenCreateSameHostname_Works()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var hostname = ContainerClient.NewHostname();
        var first = await client.CreateAsync(new { hostname });
        await (await client.DeleteAsync($"/api/v1/containers/{first.Id()}")).ReadDataAsync();

        var second = await client.CreateAsync(new { hostname });

        Assert.NotEqual(first.Id(), second.Id());
    }

    [Fact]
    public async Task Create_ImageThatDoesNotExist_EndsFailedWithTheReason()
    {
        var (_, client) = await server.CreateUserClientAsync();

        var created = await client.CreateAsync(new { hostname = ContainerClient.NewHostname(), image = "berth/does-not-exist:1" });

        var failed = await client.WaitForStateAsync(created.Id(), "failed");
        Assert.Contains("berth/does-not-exist:1", failed.GetProperty("state_reason").GetString()!);
    }

    [Fact]
    public async Task Create_ACommandThatExitsAtOnce_EndsFailedOrStoppedWithTheExitInTheLog()
    {
        var (_, client) = await server.CreateUserClientAsync();

        var created = await client.CreateAsync(new { hostname = ContainerClient.NewHostname(), command = "exit 3" });

        var failed = await client.WaitForStateAsync(created.Id(), "failed");
        Assert.Contains("code 3", failed.GetProperty("state_reason").GetString()!);
    }

    [Fact]
    public async Task Create_SameKeyTwice_CreatesOnceAndReplays()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var body = new { hostname = ContainerClient.NewHostname() };
        var key = Guid.NewGuid().ToString();

        async Task<HttpResponseMessage> Send()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/containers") { Content = JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", key);
            return await client.SendAsync(request);
        }
        var first = await (await Send()).ReadDataAsync();
        var second = await (await Send()).ReadDataAsync();

        Assert.Equal(first.Id(), second.Id());
        var list = await (await client.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, list.GetProperty("pagination").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Stop_SameIdempotencyKeyTwice_ActsOnceAndReplaysTheFirstAnswer()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();
        var key = Guid.NewGuid().ToString();

        async Task<HttpResponseMessage> Send()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/containers/{box.Id()}/stop");
            request.Headers.Add("Idempotency-Key", key);
            return await client.SendAsync(request);
        }
        var first = await (await Send()).ReadDataAsync();
        var second = await (await Send()).ReadDataAsync();

        Assert.Equal("stopped", second.State());
        Assert.Equal(first.GetProperty("updated_at").GetString(), second.GetProperty("updated_at").GetString());
        Assert.Single(await client.StatusLogsAsync(box.Id()), l => l.GetProperty("operation").GetString() == "stop");
    }
}
