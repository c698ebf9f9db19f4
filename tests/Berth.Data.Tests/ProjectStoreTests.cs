using Berth.Core.Errors;
using Berth.Core.Persistence;
using Berth.Core.Projects;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Data.Tests;

public sealed class ProjectStoreTests
{
    [Fact]
    public async Task Members_AndRoles_RoundTrip_DuplicatesRefused_DeleteCascades()
    {
        await using var store = await TestStore.CreateAsync();
        var projects = store.Services.GetRequiredService<IProjectStore>();
        var owner = await UserAsync(store);
        var viewer = await UserAsync(store);
        var project = await AddProjectAsync(projects, owner, store.Ct);

        await projects.AddMemberAsync(Member(project.Id, viewer, BuiltInRoles.Viewer), store.Ct);
        await projects.AddRoleAsync(new ProjectRole
        {
            ProjectId = project.Id, Name = "restarter", Permissions = [Permission.View, Permission.Restart], CreatedAt = Make.T0,
        }, store.Ct);
        var duplicateMember = await Assert.ThrowsAsync<BerthException>(
            () => projects.AddMemberAsync(Member(project.Id, viewer, BuiltInRoles.Owner), store.Ct));
        var duplicateRole = await Assert.ThrowsAsync<BerthException>(() => projects.AddRoleAsync(new ProjectRole
        {
            ProjectId = project.Id, Name = "restarter", Permissions = [Permission.Stop], CreatedAt = Make.T0,
        }, store.Ct));
        await projects.UpdateMemberAsync(Member(project.Id, viewer, "restarter"), store.Ct);

        Assert.Equal((BerthError.AlreadyExists, BerthError.AlreadyExists), (duplicateMember.Error, duplicateRole.Error));
        Assert.Equal("restarter", (await projects.FindMemberAsync(project.Id, viewer, store.Ct))!.Role);
        Assert.Equal([Permission.View, Permission.Restart], (await projects.FindRoleAsync(project.Id, "restarter", store.Ct))!.Permissions);
        Assert.Equal([project.Id], await projects.ListProjectIdsOfAsync(viewer, store.Ct));

        await projects.DeleteAsync(project.Id, store.Ct);

        Assert.Null(await projects.FindAsync(project.Id, store.Ct));
        Assert.Empty(await projects.ListMembersAsync(project.Id, store.Ct));
        Assert.Empty(await projects.ListRolesAsync(project.Id, store.Ct));
    }

    [Fact]
    public async Task ListAsync_ByMember_OnlyTheirProjects()
    {
        await using var store = await TestStore.CreateAsync();
        var projects = store.Services.GetRequiredService<IProjectStore>();
        var a = await UserAsync(store);
        var b = await UserAsync(store);
        var ofA = await AddProjectAsync(projects, a, store.Ct);
        var ofB = await AddProjectAsync(projects, b, store.Ct);

        var forA = await projects.ListAsync(a, 1, 10, store.Ct);
        var all = await projects.ListAsync(null, 1, 10, store.Ct);

        Assert.Equal([ofA.Id], forA.Items.Select(p => p.Id));
        Assert.Equal(2, all.Total);
        Assert.Contains(ofB.Id, all.Items.Select(p => p.Id));
    }

    [Fact]
    public async Task ContainerList_AndEvents_IncludeTheMembersProjects()
    {
        await using var store = await TestStore.CreateAsync();
        var member = Guid.NewGuid();
        var projectId = Guid.NewGuid();
        var own = Make.Container(userId: member);
        var shared = Make.Container(projectId: projectId);
        var foreign = Make.Container(projectId: Guid.NewGuid());
        foreach (var c in new[] { own, shared, foreign })
        {
            await store.Containers.AddAsync(c, Make.Created(c), store.Ct);
        }

        var listed = await store.Containers.ListAsync(new ContainerQuery(member, null, null, null, 1, 10, [projectId]), store.Ct);
        var filtered = await store.Containers.ListAsync(new ContainerQuery(member, projectId, null, null, 1, 10, [projectId]), store.Ct);
        var events = await store.Containers.ListTransitionsAfterAsync(0, member, 10, store.Ct, [projectId]);

        Assert.Equal(new[] { own.Id, shared.Id }.Order(), listed.Items.Select(c => c.Id).Order());
        Assert.Equal([shared.Id], filtered.Items.Select(c => c.Id));
        Assert.Equal(new[] { own.Id, shared.Id }.Order(), events.Select(e => e.Transition.ContainerId).Order());
    }

    private static async Task<Guid> UserAsync(TestStore store)
    {
        var user = Make.User($"{Guid.NewGuid():N}@example.test");
        await store.Accounts.AddUserAsync(user, store.Ct);
        return user.Id;
    }

    private static async Task<Project> AddProjectAsync(IProjectStore projects, Guid owner, CancellationToken ct)
    {
        var project = new Project { Id = Guid.CreateVersion7(), Name = "p", CreatedBy = owner, CreatedAt = Make.T0, UpdatedAt = Make.T0 };
        await projects.AddAsync(project, Member(project.Id, owner, BuiltInRoles.Owner), ct);
        return project;
    }

    private static ProjectMember Member(Guid projectId, Guid userId, string role) =>
        new() { ProjectId = projectId, UserId = userId, Role = role, CreatedAt = Make.T0 };
}
