using System.Net;
using System.Net.Http.Json;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests;

/// <summary>Projects, members and roles, and what each role may do to the project's containers.</summary>
public sealed class ProjectsApiTests(BerthServer server) : IClassFixture<BerthServer>
{
    [Fact]
    public async Task TwoTeams_DoNotSeeEachOthersContainers()
    {
        var (_, teamA) = await server.CreateUserClientAsync();
        var (_, teamB) = await server.CreateUserClientAsync();
        var projectA = await CreateProjectAsync(teamA, "team a");
        var projectB = await CreateProjectAsync(teamB, "team b");
        var boxA = await teamA.CreateAsync(new { hostname = ContainerClient.NewHostname("a"), project_id = projectA });
        var boxB = await teamB.CreateAsync(new { hostname = ContainerClient.NewHostname("b"), project_id = projectB });

        Assert.Equal(projectA, boxA.GetProperty("project_id").GetString());
        await (await teamB.GetAsync($"/api/v1/containers/{boxA.Id()}")).AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
        await (await teamA.GetAsync($"/api/v1/containers/{boxB.Id()}/status-logs")).AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
        await (await teamB.GetAsync($"/api/v1/projects/{projectA}")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal([boxB.Id()], await ListIdsAsync(teamB, "/api/v1/containers"));
        Assert.Empty(await ListIdsAsync(teamB, $"/api/v1/containers?project_id={projectA}"));
        Assert.Equal([projectB], await ListIdsAsync(teamB, "/api/v1/projects"));
        // Team B cannot create in team A's project either: it does not exist for them.
        var intrude = await teamB.PostAsJsonAsync("/api/v1/containers", new { hostname = ContainerClient.NewHostname("x"), project_id = projectA });
        await intrude.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Roles_ViewerReads_OperatorStopsAndStarts_CustomRoleRestartsOnly()
    {
        var (_, owner) = await server.CreateUserClientAsync();
        var project = await CreateProjectAsync(owner, "roles");
        var (viewerId, viewer) = await server.CreateUserClientAsync();
        var (operatorId, op) = await server.CreateUserClientAsync();
        var (restarterId, restarter) = await server.CreateUserClientAsync();
        (await owner.PostAsJsonAsync($"/api/v1/projects/{project}/roles", new { name = "restarter", permissions = new[] { "view", "restart" } }))
            .EnsureSuccessStatusCode();
        await AddMemberAsync(owner, project, viewerId, "viewer");
        await AddMemberAsync(owner, project, operatorId, "operator");
        await AddMemberAsync(owner, project, restarterId, "restarter");
        var box = await owner.CreateRunningAsync(new { hostname = ContainerClient.NewHostname("team"), project_id = project });
        var id = box.Id();

        // The viewer reads, in lists too, but may not stop.
        Assert.Equal("running", (await viewer.GetContainerAsync(id)).State());
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/api/v1/containers/{id}/logs")).StatusCode);
        Assert.Equal([id], await ListIdsAsync(viewer, $"/api/v1/containers?project_id={project}"));
        Assert.Equal([id], await ListIdsAsync(viewer, "/api/v1/containers"));
        var denied = await (await viewer.PostAsync($"/api/v1/containers/{id}/stop", null))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        Assert.Equal("stop", denied.GetProperty("details").GetProperty("permission").GetString());

        // The custom role restarts, and nothing else.
        Assert.Equal("running", (await restarter.OperateAsync(id, "restart")).State());
        await (await restarter.PostAsync($"/api/v1/containers/{id}/stop", null)).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        await (await restarter.GetAsync($"/api/v1/containers/{id}/logs")).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");

        // The operator stops and starts, but may not delete.
        Assert.Equal("stopped", (await op.OperateAsync(id, "stop")).State());
        Assert.Equal("running", (await op.OperateAsync(id, "start")).State());
        await (await op.DeleteAsync($"/api/v1/containers/{id}")).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        Assert.Equal("running", (await owner.GetContainerAsync(id)).State());

        var actors = (await owner.StatusLogsAsync(id)).Select(t => (t.GetProperty("operation").GetString(), t.GetProperty("actor").GetString())).ToList();
        Assert.Contains(("restart", restarterId.ToString()), actors);
        Assert.Contains(("stop", operatorId.ToString()), actors);
    }

    [Fact]
    public async Task Members_OnlyOwnersManage_LastOwnerStays_ProjectWithContainersStays()
    {
        var (ownerId, owner) = await server.CreateUserClientAsync();
        var (memberId, member) = await server.CreateUserClientAsync();
        var (otherId, _) = await server.CreateUserClientAsync();
        var project = await CreateProjectAsync(owner, "members");
        await AddMemberAsync(owner, project, memberId, "operator");

        await (await member.PostAsJsonAsync($"/api/v1/projects/{project}/members", new { user_id = otherId, role = "viewer" }))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        await (await member.PatchAsJsonAsync($"/api/v1/projects/{project}", new { name = "mine" }))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        await (await owner.PatchAsJsonAsync($"/api/v1/projects/{project}/members/{ownerId}", new { role = "viewer" }))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "OPERATION_STATE_CONFLICT");
        await (await owner.DeleteAsync($"/api/v1/projects/{project}/members/{ownerId}"))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "OPERATION_STATE_CONFLICT");
        await (await owner.PostAsJsonAsync($"/api/v1/projects/{project}/members", new { user_id = otherId, role = "boss" }))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await (await owner.PostAsJsonAsync($"/api/v1/projects/{project}/roles", new { name = "odd", permissions = new[] { "view", "fly" } }))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        var members = await (await member.GetAsync($"/api/v1/projects/{project}/members")).ReadDataAsync();
        Assert.Equal(
            [(ownerId.ToString(), "owner"), (memberId.ToString(), "operator")],
            members.EnumerateArray().Select(m => (m.GetProperty("user_id").GetString(), m.GetProperty("role").GetString())).ToList());

        // Promoted to owner, the member may rename; then the first owner may step down.
        (await owner.PatchAsJsonAsync($"/api/v1/projects/{project}/members/{memberId}", new { role = "owner" })).EnsureSuccessStatusCode();
        var renamed = await (await member.PatchAsJsonAsync($"/api/v1/projects/{project}", new { name = "renamed" })).ReadDataAsync();
        Assert.Equal("renamed", renamed.GetProperty("name").GetString());
        (await owner.DeleteAsync($"/api/v1/projects/{project}/members/{ownerId}")).EnsureSuccessStatusCode();
        await (await owner.GetAsync($"/api/v1/projects/{project}")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");

        var box = await member.CreateAsync(new { hostname = ContainerClient.NewHostname("p"), project_id = project });
        await (await member.DeleteAsync($"/api/v1/projects/{project}")).AssertErrorAsync(HttpStatusCode.BadRequest, "OPERATION_STATE_CONFLICT");
        await member.WaitForStateAsync(box.Id(), "running");
        (await member.DeleteAsync($"/api/v1/containers/{box.Id()}")).EnsureSuccessStatusCode();
        (await member.DeleteAsync($"/api/v1/projects/{project}")).EnsureSuccessStatusCode();
        await (await member.GetAsync($"/api/v1/projects/{project}")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task CustomRole_ChangeTakesEffectAtOnce_AndDeleteWaitsUntilNobodyHoldsIt()
    {
        var (_, owner) = await server.CreateUserClientAsync();
        var project = await CreateProjectAsync(owner, "custom");
        var (auditorId, auditor) = await server.CreateUserClientAsync();
        (await owner.PostAsJsonAsync($"/api/v1/projects/{project}/roles", new { name = "auditor", permissions = new[] { "view" } }))
            .EnsureSuccessStatusCode();
        await AddMemberAsync(owner, project, auditorId, "auditor");
        var box = await owner.CreateAsync(new { hostname = ContainerClient.NewHostname("audit"), project_id = project });
        var logs = $"/api/v1/containers/{box.Id()}/logs";
        await (await auditor.GetAsync(logs)).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");

        var changed = await (await owner.PatchAsJsonAsync($"/api/v1/projects/{project}/roles/auditor",
            new { permissions = new[] { "logs", "view" } })).ReadDataAsync();

        Assert.Equal(["view", "logs"], changed.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()).ToList());
        Assert.Equal(HttpStatusCode.OK, (await auditor.GetAsync(logs)).StatusCode);
        await (await auditor.PatchAsJsonAsync($"/api/v1/projects/{project}/roles/auditor", new { permissions = new[] { "remove" } }))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        await (await owner.PatchAsJsonAsync($"/api/v1/projects/{project}/roles/viewer", new { permissions = new[] { "stop" } }))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "OPERATION_STATE_CONFLICT");
        await (await owner.PatchAsJsonAsync($"/api/v1/projects/{project}/roles/nobody", new { permissions = new[] { "view" } }))
            .AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");

        await (await owner.DeleteAsync($"/api/v1/projects/{project}/roles/auditor"))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "OPERATION_STATE_CONFLICT");
        await AddMemberRoleAsync(owner, project, auditorId, "viewer");
        (await owner.DeleteAsync($"/api/v1/projects/{project}/roles/auditor")).EnsureSuccessStatusCode();
        var roles = await (await owner.GetAsync($"/api/v1/projects/{project}/roles")).ReadDataAsync();
        Assert.DoesNotContain(roles.EnumerateArray(), r => r.GetProperty("name").GetString() == "auditor");
    }

    private static async Task AddMemberRoleAsync(HttpClient owner, string project, Guid userId, string role) =>
        (await owner.PatchAsJsonAsync($"/api/v1/projects/{project}/members/{userId}", new { role })).EnsureSuccessStatusCode();

    private static async Task<string> CreateProjectAsync(HttpClient client, string name)
    {
        var created = await (await client.PostAsJsonAsync("/api/v1/projects", new { name })).ReadDataAsync(HttpStatusCode.Created);
        return created.GetProperty("id").GetString()!;
    }

    private static async Task AddMemberAsync(HttpClient owner, string project, Guid userId, string role)
    {
        var added = await (await owner.PostAsJsonAsync($"/api/v1/projects/{project}/members", new { user_id = userId, role }))
            .ReadDataAsync(HttpStatusCode.Created);
        Assert.Equal(role, added.GetProperty("role").GetString());
    }

    private static async Task<List<string>> ListIdsAsync(HttpClient client, string path) =>
        [.. (await (await client.GetAsync(path)).ReadDataAsync()).EnumerateArray().Select(e => e.GetProperty("id").GetString()!)];
}
