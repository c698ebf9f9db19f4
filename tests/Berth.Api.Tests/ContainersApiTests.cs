using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests;

/// <summary>Records, validation, lists, isolation and concurrency control of the container API.</summary>
public sealed class ContainersApiTests(BerthServer server) : IClassFixture<BerthServer>
{
    [Fact]
    public async Task Create_EveryFieldBad_Returns400NamingEachField()
    {
        var (_, client) = await server.CreateUserClientAsync();

        var response = await client.PostAsJsonAsync("/api/v1/containers", new
        {
            hostname = "Not_A_Label",
            image = "UPPER CASE",
            cpu_cores = 0,
            memory_mb = 1,
            disk_gb = 40,
            replicas = 0,
            port = 70000,
            env = new[] { new { key = "1BAD", value = "x" } },
        });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["cpu_cores", "disk_gb", "env[0].key", "hostname", "image", "memory_mb", "port", "replicas"], error.Fields());
    }

    [Fact]
    public async Task Create_WithoutHostname_Returns400OnHostname()
    {
        var (_, client) = await server.CreateUserClientAsync();

        var response = await client.PostAsJsonAsync("/api/v1/containers", new { });

        Assert.Equal(["hostname"], (await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());
    }

    [Fact]
    public async Task Create_CommandOfWrongType_Returns400OnCommand()
    {
        var (_, client) = await server.CreateUserClientAsync();

        var response = await client.PostAsJsonAsync("/api/v1/containers", new { hostname = ContainerClient.NewHostname(), command = 42 });

        Assert.Equal(["command"], (await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());
    }

    [Fact]
    public async Task Create_MalformedJson_Returns400ValidationError()
    {
        var (_, client) = await server.CreateUserClientAsync();

        var response = await client.PostAsync("/api/v1/containers", new StringContent("{\"hostname\": ", System.Text.Encoding.UTF8, "application/json"));

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task Create_DuplicateHostnameForSameUser_Returns409ButAnotherUserMayUseIt()
    {
        var (_, alice) = await server.CreateUserClientAsync();
        var (_, bob) = await server.CreateUserClientAsync();
        var hostname = ContainerClient.NewHostname();
        await alice.CreateAsync(new { hostname });

        await (await alice.PostAsJsonAsync("/api/v1/containers", new { hostname })).AssertErrorAsync(HttpStatusCode.Conflict, "ALREADY_EXISTS");
        Assert.Equal(hostname, (await bob.CreateAsync(new { hostname })).GetProperty("hostname").GetString());
    }

    [Theory]
    [InlineData("Bad_Id!")]
    [InlineData("-leading-hyphen")]
    public async Task Get_MalformedId_Returns400InvalidIdFormat(string id)
    {
        var (_, client) = await server.CreateUserClientAsync();

        await (await client.GetAsync($"/api/v1/containers/{id}")).AssertErrorAsync(HttpStatusCode.BadRequest, "INVALID_ID_FORMAT");
        await (await client.PostAsync($"/api/v1/containers/{id}/stop", null)).AssertErrorAsync(HttpStatusCode.BadRequest, "INVALID_ID_FORMAT");
    }

    [Fact]
    public async Task Get_UnknownId_Returns404ContainerNotFound()
    {
        var (_, client) = await server.CreateUserClientAsync();

        await (await client.GetAsync($"/api/v1/containers/{Guid.CreateVersion7()}")).AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
        await (await client.GetAsync("/api/v1/containers/no-such-box")).AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
    }

    [Fact]
    public async Task Containers_WithoutToken_Return401MissingToken()
    {
        await (await server.Anonymous.GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Unauthorized, "MISSING_TOKEN");
        await (await server.Anonymous.PostAsJsonAsync("/api/v1/containers", new { hostname = "x" })).AssertErrorAsync(HttpStatusCode.Unauthorized, "MISSING_TOKEN");
    }

    [Fact]
    public async Task AnotherUsersContainer_IsInvisibleEverywhere_AndAdminSeesAndActsOnIt()
    {
        var (_, alice) = await server.CreateUserClientAsync();
        var (_, bob) = await server.CreateUserClientAsync();
        var box = await alice.CreateAsync(new { hostname = ContainerClient.NewHostname() });
        var id = box.Id();
        var hostname = box.GetProperty("hostname").GetString();

        foreach (var path in new[] { $"/api/v1/containers/{id}", $"/api/v1/containers/{hostname}", $"/api/v1/containers/{id}/status-logs" })
        {
            await (await bob.GetAsync(path)).AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
        }
        foreach (var operation in new[] { "start", "stop", "force-stop", "restart", "pause", "resume" })
        {
            await (await bob.PostAsync($"/api/v1/containers/{id}/{operation}", null)).AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
        }
        await (await bob.PatchAsJsonAsync($"/api/v1/containers/{id}", new { memory_mb = 256 })).AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
        await (await bob.DeleteAsync($"/api/v1/containers/{id}")).AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
        var bobsList = await (await bob.GetAsync("/api/v1/containers")).ReadDataAsync();
        Assert.DoesNotContain(bobsList.EnumerateArray(), c => c.Id() == id);

        Assert.Equal(id, (await server.AdminClient.GetContainerAsync(id)).Id());
        await server.AdminClient.WaitForStateAsync(id, "running");
        Assert.Equal("stopped", (await server.AdminClient.OperateAsync(id, "stop")).State());
        Assert.Equal("stopped", (await alice.GetContainerAsync(id)).State());
    }

    [Fact]
    public async Task List_FiltersAndPaginates()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var boxes = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            boxes.Add((await client.CreateAsync(new { hostname = ContainerClient.NewHostname() })).Id());
        }
        await client.WaitForStateAsync(boxes[0], "running");
        await client.OperateAsync(boxes[0], "stop");

        var page = await (await client.GetAsync("/api/v1/containers?page=2&limit=2")).ReadJsonAsync(HttpStatusCode.OK);
        var pagination = page.GetProperty("pagination");
        Assert.Equal(2, pagination.GetProperty("page").GetInt32());
        Assert.Equal(2, pagination.GetProperty("limit").GetInt32());
        Assert.Equal(3, pagination.GetProperty("total").GetInt32());
        Assert.Equal(2, pagination.GetProperty("total_pages").GetInt32());
        Assert.Single(page.GetProperty("data").EnumerateArray());

        var stopped = await (await client.GetAsync("/api/v1/containers?state=stopped")).ReadDataAsync();
        Assert.Equal([boxes[0]], stopped.EnumerateArray().Select(c => c.Id()).ToArray());
        var local = await (await client.GetAsync("/api/v1/containers?environment_id=local")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(3, local.GetProperty("pagination").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task List_BadQuery_Returns400NamingEachParameter()
    {
        var (_, client) = await server.CreateUserClientAsync();

        var response = await client.GetAsync("/api/v1/containers?page=0&limit=1000&state=sleeping&project_id=nope");

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["limit", "page", "project_id", "state"], error.Fields());
    }

    [Fact]
    public async Task List_AsAdmin_SeesEveryUsersContainers()
    {
        var (_, alice) = await server.CreateUserClientAsync();
        var box = await alice.CreateAsync(new { hostname = ContainerClient.NewHostname() });

        var all = await (await server.AdminClient.GetAsync($"/api/v1/containers?limit=100")).ReadDataAsync();

        Assert.Contains(all.EnumerateArray(), c => c.Id() == box.Id());
    }

    [Fact]
    public async Task Patch_ChangesConfigurationWithoutTouchingReplicas_AndHonoursIfMatch()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();
        var id = box.Id();
        var get = await client.GetAsync($"/api/v1/containers/{id}");
        var etag = get.Headers.ETag!;
        var replicaBefore = await DockerProbe.OnlyReplicaAsync(id);

        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/containers/{id}")
        {
            Content = JsonContent.Create(new { memory_mb = 256, env = new[] { new { key = "GREETING", value = "hi" } } }),
        };
        patch.Headers.IfMatch.Add(etag);
        var patched = await client.SendAsync(patch);
        var record = await patched.ReadDataAsync();

        // The record shows what runs, and the change as pending until a deploy rolls it out.
        Assert.Equal(box.GetProperty("memory_mb").GetInt32(), record.GetProperty("memory_mb").GetInt32());
        Assert.Equal(256, record.GetProperty("pending").GetProperty("memory_mb").GetInt32());
        Assert.Equal("hi", record.GetProperty("pending").GetProperty("env")[0].GetProperty("value").GetString());
        Assert.True(record.GetProperty("has_pending_changes").GetBoolean());
        Assert.Equal("running", record.State());
        Assert.NotEqual(etag, patched.Headers.ETag);
        Assert.Equal(replicaBefore, await DockerProbe.OnlyReplicaAsync(id));

        using var stale = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/containers/{id}") { Content = JsonContent.Create(new { memory_mb = 128 }) };
        stale.Headers.IfMatch.Add(etag);
        await (await client.SendAsync(stale)).AssertErrorAsync(HttpStatusCode.PreconditionFailed, "PRECONDITION_FAILED");

        using var staleStop = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/containers/{id}/stop");
        staleStop.Headers.IfMatch.Add(etag);
        await (await client.SendAsync(staleStop)).AssertErrorAsync(HttpStatusCode.PreconditionFailed, "PRECONDITION_FAILED");
        Assert.Equal("running", (await client.GetContainerAsync(id)).State());
    }

    [Fact]
    public async Task Patch_BadFieldOrHostname_Returns400()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateAsync(new { hostname = ContainerClient.NewHostname() });

        var error = await (await client.PatchAsJsonAsync($"/api/v1/containers/{box.Id()}", new { cpu_cores = 1000, hostname = "new-name" }))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("hostname", error.Fields());
    }

    [Fact]
    public async Task StatusLogs_SortAndPage_AsTheSeedDescribes()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();
        await client.OperateAsync(box.Id(), "stop");
        await client.OperateAsync(box.Id(), "start");

        var newestFirst = await (await client.GetAsync($"/api/v1/containers/{box.Id()}/status-logs")).ReadJsonAsync(HttpStatusCode.OK);
        var lines = newestFirst.GetProperty("data").EnumerateArray().ToArray();
        Assert.Equal(4, lines.Length);
        Assert.Equal("start", lines[0].GetProperty("operation").GetString());
        Assert.Equal(10, newestFirst.GetProperty("pagination").GetProperty("limit").GetInt32());
        Assert.All(lines, l => Assert.Equal(box.Id(), l.GetProperty("container_id").GetString()));

        var byStatus = await (await client.GetAsync($"/api/v1/containers/{box.Id()}/status-logs?sort_by=to_status&sort_order=asc&limit=2&page=2"))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["running", "stopped"], byStatus.GetProperty("data").EnumerateArray().Select(l => l.GetProperty("to_status").GetString()!).ToArray());
        Assert.Equal(2, byStatus.GetProperty("pagination").GetProperty("total_pages").GetInt32());
    }

    [Fact]
    public async Task StatusLogs_BadQuery_Returns400NamingEachParameter()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateAsync(new { hostname = ContainerClient.NewHostname() });

        var response = await client.GetAsync($"/api/v1/containers/{box.Id()}/status-logs?page=x&limit=0&sort_by=name&sort_order=up");

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["limit", "page", "sort_by", "sort_order"], error.Fields());
    }

    [Fact]
    public async Task Operations_ConcurrentOnOneContainer_AreSerialized()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => client.PostAsync($"/api/v1/containers/{box.Id()}/pause", null)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        foreach (var conflict in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            await conflict.AssertErrorAsync(HttpStatusCode.BadRequest, "OPERATION_STATE_CONFLICT");
        }
        Assert.Single(await client.StatusLogsAsync(box.Id()), l => l.GetProperty("operation").GetString() == "pause");
    }

    [Fact]
    public async Task Get_ReturnsETagHeaderMatchingTheRecordVersion()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateAsync(new { hostname = ContainerClient.NewHostname() });

        var response = await client.GetAsync($"/api/v1/containers/{box.Id()}");

        await response.ReadDataAsync();
        Assert.Matches("^\"[0-9]+\"$", response.Headers.ETag!.Tag);
        Assert.IsType<EntityTagHeaderValue>(response.Headers.ETag);
    }
}
