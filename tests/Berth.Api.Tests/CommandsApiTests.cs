using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;
using Docker.DotNet.Models;

namespace Berth.Api.Tests;

/// <summary>Commands run in real containers: results, limits, cancel, the job stream, isolation and restarts.</summary>
public sealed class CommandsApiTests(BerthServer server) : IClassFixture<BerthServer>
{
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Submit_ShellCommandExitingNonZero_FailsWithExitCodeAndSeparateStreams()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();

        var response = await client.PostAsJsonAsync($"/api/v1/containers/{box.Id()}/commands",
            new { command = "echo out; echo err >&2; exit 3" });
        var queued = await response.ReadDataAsync(HttpStatusCode.Accepted);
        Assert.Equal("queued", queued.GetProperty("status").GetString());
        Assert.Equal("echo out; echo err >&2; exit 3", queued.GetProperty("command").GetString());
        Assert.Equal(300, queued.GetProperty("timeout_seconds").GetInt32());
        Assert.Equal($"/api/v1/commands/{queued.Id()}", response.Headers.Location?.OriginalString);

        var done = await WaitFinishedAsync(client, queued.Id());

        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Equal(3, done.GetProperty("exit_code").GetInt32());
        Assert.Equal("out\n", done.GetProperty("stdout").GetString());
        Assert.Equal("err\n", done.GetProperty("stderr").GetString());
        Assert.Contains("3", done.GetProperty("reason").GetString());
        Assert.False(done.GetProperty("stdout_truncated").GetBoolean());
        Assert.NotEqual(JsonValueKind.Null, done.GetProperty("started_at").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, done.GetProperty("finished_at").ValueKind);
    }

    [Fact]
    public async Task Submit_ArgvWithEnvListAndWorkingDir_RunsWithoutAShellAndSucceeds()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();

        // No shell parses the argv: the quote, the $ and the ; reach echo as they are.
        var argv = await SubmitAsync(client, box.Id(), new { command = new[] { "echo", "a 'b' $HOME;", "c" } });
        var done = await WaitFinishedAsync(client, argv.Id());
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(0, done.GetProperty("exit_code").GetInt32());
        Assert.Equal("a 'b' $HOME; c\n", done.GetProperty("stdout").GetString());
        Assert.Equal(JsonValueKind.Array, done.GetProperty("command").ValueKind);
        Assert.Equal(JsonValueKind.Null, done.GetProperty("reason").ValueKind);

        var withEnv = await SubmitAsync(client, box.Id(), new
        {
            command = new[] { "sh", "-c", "echo \"$GREETING $OTHER\"; pwd" },
            env = new[] { new { key = "GREETING", value = "hello there" }, new { key = "OTHER", value = "x=y" } },
            working_dir = "/tmp",
        });
        Assert.Equal("hello there x=y\n/tmp\n", (await WaitFinishedAsync(client, withEnv.Id())).GetProperty("stdout").GetString());

        var envObject = await SubmitAsync(client, box.Id(), new { command = "echo $ONE", env = new Dictionary<string, string> { ["ONE"] = "1" } });
        Assert.Equal("1\n", (await WaitFinishedAsync(client, envObject.Id())).GetProperty("stdout").GetString());
    }

    [Fact]
    public async Task Submit_LongerThanItsTimeout_IsTimedOutAndTheProcessIsGone()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();

        var command = await SubmitAsync(client, box.Id(), new { command = "echo started; sleep 31", timeout_seconds = 1 });
        var done = await WaitFinishedAsync(client, command.Id());

        Assert.Equal("timed_out", done.GetProperty("status").GetString());
        Assert.Equal("started\n", done.GetProperty("stdout").GetString());
        Assert.Contains("timeout", done.GetProperty("reason").GetString());
        var ran = done.GetProperty("finished_at").GetDateTimeOffset() - done.GetProperty("started_at").GetDateTimeOffset();
        Assert.True(ran < TimeSpan.FromSeconds(20), $"timed out only after {ran}");
        Assert.DoesNotContain("sleep 31", await ProcessesAsync(box.Id()));
    }

    [Fact]
    public async Task Cancel_RunningCommand_KillsTheProcessThenCancels()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();
        var command = await SubmitAsync(client, box.Id(), new { command = "sleep 32" });
        await Eventually.UntilAsync(() => ProcessesAsync(box.Id()), p => p.Contains("sleep 32", StringComparison.Ordinal),
            s_commandTimeout, "sleep 32 to run in the container");

        var canceled = await (await client.PostAsync($"/api/v1/commands/{command.Id()}/cancel", null)).ReadDataAsync();

        Assert.Equal("canceled", canceled.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, canceled.GetProperty("finished_at").ValueKind);
        Assert.DoesNotContain("sleep 32", await ProcessesAsync(box.Id()));
        Assert.Equal("canceled", (await GetCommandAsync(client, command.Id())).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Cancel_FinishedCommand_Returns400OperationStateConflict()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();
        var command = await SubmitAsync(client, box.Id(), new { command = "true" });
        await WaitFinishedAsync(client, command.Id());

        var response = await client.PostAsync($"/api/v1/commands/{command.Id()}/cancel", null);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "OPERATION_STATE_CONFLICT");
    }

    [Fact]
    public async Task Stream_WhileRunning_DeliversOutputAsProducedThenTheExitFrameAndCloses()
    {
        var (_, token) = await server.CreateUserWithTokenAsync();
        var client = server.ClientWithToken(token);
        var box = await client.CreateRunningAsync();
        var command = await SubmitAsync(client, box.Id(), new { command = "echo first; sleep 2; echo second >&2; exit 4" });

        using var socket = await ConnectAsync(token, command.Id());
        var first = await ReceiveFrameAsync(socket);
        Assert.Equal("stdout", first.GetProperty("type").GetString());
        Assert.Equal("first\n", first.GetProperty("data").GetString());
        // Live: the first line arrived while the command was still sleeping.
        Assert.Equal("running", (await GetCommandAsync(client, command.Id())).GetProperty("status").GetString());

        var second = await ReceiveFrameAsync(socket);
        Assert.Equal("stderr", second.GetProperty("type").GetString());
        Assert.Equal("second\n", second.GetProperty("data").GetString());
        var exit = await ReceiveFrameAsync(socket);
        Assert.Equal("exit", exit.GetProperty("type").GetString());
        Assert.Equal("failed", exit.GetProperty("status").GetString());
        Assert.Equal(4, exit.GetProperty("exit_code").GetInt32());
        await AssertClosedNormallyAsync(socket);
    }

    [Fact]
    public async Task Stream_AfterTheCommandFinished_ReplaysTheOutputAndTheExitFrame()
    {
        var (_, token) = await server.CreateUserWithTokenAsync();
        var client = server.ClientWithToken(token);
        var box = await client.CreateRunningAsync();
        var command = await SubmitAsync(client, box.Id(), new { command = "echo out; echo err >&2" });
        await WaitFinishedAsync(client, command.Id());

        using var socket = await ConnectAsync(token, command.Id());
        var frames = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            frames.Add(await ReceiveFrameAsync(socket));
        }

        Assert.Equal(["stdout", "stderr", "exit"], frames.Select(f => f.GetProperty("type").GetString()!).ToArray());
        Assert.Equal("out\n", frames[0].GetProperty("data").GetString());
        Assert.Equal("err\n", frames[1].GetProperty("data").GetString());
        Assert.Equal("succeeded", frames[2].GetProperty("status").GetString());
        Assert.Equal(0, frames[2].GetProperty("exit_code").GetInt32());
        await AssertClosedNormallyAsync(socket);
    }

    [Fact]
    public async Task Submit_OutputBeyondTheLimit_KeepsTheFirstMebibyteAndFlagsIt()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();

        var command = await SubmitAsync(client, box.Id(), new { command = "yes abcdefg | head -c 1200000; echo small >&2" });
        var done = await WaitFinishedAsync(client, command.Id());

        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.True(done.GetProperty("stdout_truncated").GetBoolean());
        Assert.Equal(1024 * 1024, done.GetProperty("stdout").GetString()!.Length);
        Assert.False(done.GetProperty("stderr_truncated").GetBoolean());
        Assert.Equal("small\n", done.GetProperty("stderr").GetString());
    }

    [Fact]
    public async Task Submit_ContainerNotRunning_Returns400OperationStateConflict()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();
        await client.OperateAsync(box.Id(), "stop");

        var response = await client.PostAsJsonAsync($"/api/v1/containers/{box.Id()}/commands", new { command = "true" });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "OPERATION_STATE_CONFLICT");
        Assert.Contains("stopped", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Submit_InvalidFields_Returns400NamingEachField()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateAsync(new { hostname = ContainerClient.NewHostname() });

        var values = await client.PostAsJsonAsync($"/api/v1/containers/{box.Id()}/commands", new
        {
            command = " ",
            timeout_seconds = 3601,
            env = new Dictionary<string, string> { ["1BAD"] = "x" },
            working_dir = "relative/dir",
        });
        Assert.Equal(["command", "env", "timeout_seconds", "working_dir"],
            (await values.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());

        var shapes = await client.PostAsJsonAsync($"/api/v1/containers/{box.Id()}/commands", new
        {
            command = 5,
            timeout_seconds = "soon",
            env = new[] { 1 },
            working_dir = 2,
        });
        Assert.Equal(["command", "env", "timeout_seconds", "working_dir"],
            (await shapes.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());

        var missing = await client.PostAsJsonAsync($"/api/v1/containers/{box.Id()}/commands", new { timeout_seconds = 0 });
        Assert.Equal(["command", "timeout_seconds"], (await missing.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());

        var paging = await client.GetAsync($"/api/v1/containers/{box.Id()}/commands?page=0&limit=101");
        Assert.Equal(["limit", "page"], (await paging.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());

        await (await client.GetAsync("/api/v1/commands/not-a-uuid")).AssertErrorAsync(HttpStatusCode.BadRequest, "INVALID_ID_FORMAT");
        await (await client.GetAsync($"/api/v1/commands/{Guid.NewGuid()}")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task List_History_IsNewestFirstAndPaginatedWithoutOutput()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await SubmitAsync(client, box.Id(), new { command = $"echo {i}" })).Id());
        }
        foreach (var id in ids)
        {
            await WaitFinishedAsync(client, id);
        }

        var firstPage = await (await client.GetAsync($"/api/v1/containers/{box.GetProperty("hostname").GetString()}/commands?limit=2")).ReadJsonAsync(HttpStatusCode.OK);
        var secondPage = await (await client.GetAsync($"/api/v1/containers/{box.Id()}/commands?limit=2&page=2")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal([ids[2], ids[1]], firstPage.GetProperty("data").EnumerateArray().Select(c => c.Id()).ToArray());
        Assert.Equal([ids[0]], secondPage.GetProperty("data").EnumerateArray().Select(c => c.Id()).ToArray());
        var pagination = firstPage.GetProperty("pagination");
        Assert.Equal(3, pagination.GetProperty("total").GetInt32());
        Assert.Equal(2, pagination.GetProperty("total_pages").GetInt32());
        Assert.All(firstPage.GetProperty("data").EnumerateArray(), c =>
        {
            Assert.Equal("succeeded", c.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Null, c.GetProperty("stdout").ValueKind);
        });
    }

    [Fact]
    public async Task Submit_RepeatedWithOneIdempotencyKey_QueuesOnce()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();
        var key = Guid.NewGuid().ToString();

        async Task<JsonElement> SubmitWithKeyAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/containers/{box.Id()}/commands")
            {
                Content = JsonContent.Create(new { command = "echo once" }),
            };
            request.Headers.Add("Idempotency-Key", key);
            return await (await client.SendAsync(request)).ReadDataAsync(HttpStatusCode.Accepted);
        }

        var first = await SubmitWithKeyAsync();
        var second = await SubmitWithKeyAsync();

        Assert.Equal(first.Id(), second.Id());
        var history = await (await client.GetAsync($"/api/v1/containers/{box.Id()}/commands")).ReadDataAsync();
        Assert.Single(history.EnumerateArray());
    }

    [Fact]
    public async Task EveryRoute_OtherUsersCommand_Is404()
    {
        var (_, owner) = await server.CreateUserClientAsync();
        var (_, strangerToken) = await server.CreateUserWithTokenAsync();
        var stranger = server.ClientWithToken(strangerToken);
        var box = await owner.CreateRunningAsync();
        var command = await SubmitAsync(owner, box.Id(), new { command = "sleep 34" });

        await (await stranger.PostAsJsonAsync($"/api/v1/containers/{box.Id()}/commands", new { command = "true" }))
            .AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
        await (await stranger.GetAsync($"/api/v1/containers/{box.Id()}/commands"))
            .AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
        await (await stranger.GetAsync($"/api/v1/commands/{command.Id()}")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        await (await stranger.PostAsync($"/api/v1/commands/{command.Id()}/cancel", null)).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(strangerToken, command.Id()));
        Assert.Contains("404", refused.Message);

        // The stranger's attempts changed nothing; the owner still controls the command.
        Assert.NotEqual("canceled", (await GetCommandAsync(owner, command.Id())).GetProperty("status").GetString());
        Assert.Equal("canceled", (await (await owner.PostAsync($"/api/v1/commands/{command.Id()}/cancel", null)).ReadDataAsync())
            .GetProperty("status").GetString());
    }

    [Fact]
    public async Task Restart_QueuedCommandRunsOnTheNextServerAndTheRunningOneIsFailed()
    {
        var dataDirectory = BerthServer.NewDataDirectory();
        var adminToken = Berth.Core.Accounts.TokenHasher.Generate();
        var settings = new Dictionary<string, string?> { ["Berth:Commands:MaxConcurrent"] = "1" };
        string? boxId = null;
        try
        {
            string token, blockerId, queuedId;
            await using (var first = new BerthServer(dataDirectory, adminToken, settings))
            {
                (_, token) = await first.CreateUserWithTokenAsync();
                var client = first.ClientWithToken(token);
                boxId = (await client.CreateRunningAsync()).Id();
                // The one worker slot is busy with this, so the next command stays queued.
                blockerId = (await SubmitAsync(client, boxId, new { command = "sleep 35" })).Id();
                await Eventually.UntilAsync(() => GetCommandAsync(client, blockerId), c => c.GetProperty("status").GetString() == "running",
                    s_commandTimeout, "the blocker to run");
                queuedId = (await SubmitAsync(client, boxId, new { command = "echo resumed" })).Id();
                Assert.Equal("queued", (await GetCommandAsync(client, queuedId)).GetProperty("status").GetString());
            }

            await using var second = new BerthServer(dataDirectory, adminToken, settings);
            var again = second.ClientWithToken(token);
            var resumed = await WaitFinishedAsync(again, queuedId);
            Assert.Equal("succeeded", resumed.GetProperty("status").GetString());
            Assert.Equal("resumed\n", resumed.GetProperty("stdout").GetString());

            var blocker = await GetCommandAsync(again, blockerId);
            Assert.Equal("failed", blocker.GetProperty("status").GetString());
            Assert.Contains("server", blocker.GetProperty("reason").GetString());
            Assert.DoesNotContain("sleep 35", await ProcessesAsync(boxId));
        }
        finally
        {
            if (boxId is not null)
            {
                foreach (var replica in await DockerProbe.ReplicasAsync(boxId))
                {
                    await DockerProbe.Client.Containers.RemoveContainerAsync(replica.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true });
                }
            }
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
    }

    private static async Task<JsonElement> SubmitAsync(HttpClient client, string containerId, object body) =>
        await (await client.PostAsJsonAsync($"/api/v1/containers/{containerId}/commands", body)).ReadDataAsync(HttpStatusCode.Accepted);

    private static async Task<JsonElement> GetCommandAsync(HttpClient client, string commandId) =>
        await (await client.GetAsync($"/api/v1/commands/{commandId}")).ReadDataAsync();

    private static Task<JsonElement> WaitFinishedAsync(HttpClient client, string commandId) =>
        Eventually.UntilAsync(() => GetCommandAsync(client, commandId),
            c => c.GetProperty("status").GetString() is not ("queued" or "running"),
            s_commandTimeout, $"command {commandId} to finish");

    /// <summary>The command lines of every process in the container's replica, read behind Berth's back.</summary>
    private static async Task<string> ProcessesAsync(string containerId)
    {
        var replica = await DockerProbe.OnlyReplicaAsync(containerId);
        var exec = await DockerProbe.Client.Exec.CreateContainerExecAsync(replica, new ContainerExecCreateParameters
        {
            AttachStdout = true,
            AttachStderr = true,
            Cmd = ["ps", "-o", "args"],
        });
        using var stream = await DockerProbe.Client.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters());
        using var timeout = new CancellationTokenSource(s_commandTimeout);
        var (stdout, _) = await stream.ReadOutputToEndAsync(timeout.Token);
        return stdout;
    }

    private async Task<WebSocket> ConnectAsync(string token, string commandId)
    {
        var client = server.Server.CreateWebSocketClient();
        client.ConfigureRequest = r => r.Headers.Authorization = $"Bearer {token}";
        var uri = new UriBuilder(server.Server.BaseAddress) { Scheme = "ws", Path = $"/api/v1/commands/{commandId}/stream" }.Uri;
        using var timeout = new CancellationTokenSource(s_commandTimeout);
        return await client.ConnectAsync(uri, timeout.Token);
    }

    private static async Task<JsonElement> ReceiveFrameAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(s_commandTimeout);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult received;
        do
        {
            received = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.True(received.MessageType == WebSocketMessageType.Text, $"expected a text frame, got {received.MessageType} ({socket.CloseStatus})");
            message.Write(buffer, 0, received.Count);
        }
        while (!received.EndOfMessage);
        using var document = JsonDocument.Parse(Encoding.UTF8.GetString(message.ToArray()));
        return document.RootElement.Clone();
    }

    private static async Task AssertClosedNormallyAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(s_commandTimeout);
        var received = await socket.ReceiveAsync(new byte[1024], timeout.Token);
        Assert.Equal(WebSocketMessageType.Close, received.MessageType);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
    }
}
