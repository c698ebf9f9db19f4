using Berth.Core.Accounts;
using Berth.Core.Commands;
using Berth.Core.Containers;
using Berth.Core.Errors;
using Berth.Core.Projects;
using Berth.Core.Tests.Accounts;
using Berth.Core.Tests.Commands;
using Berth.Core.Tests.Fakes;

namespace Berth.Core.Tests.Projects;

/// <summary>The role → permission rules, project membership, and the checks the container services make.</summary>
public sealed class ProjectPermissionTests : IAsyncLifetime
{
    private readonly CoreHarness _h = new();
    private readonly InMemoryAccountStore _accounts = new();
    private readonly ProjectService _projects;

    public ProjectPermissionTests()
    {
        _projects = new ProjectService(_h.Projects, _h.Store, _accounts, _h.Time);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _h.DisposeAsync().AsTask();

    [Fact]
    public void BuiltInRoles_GrantTheDocumentedPermissions()
    {
        Assert.Equal(Permissions.All.ToHashSet(), BuiltInRoles.PermissionsOf(BuiltInRoles.Owner)!.ToHashSet());
        Assert.Equal(Permissions.All.Except([Permission.Remove]).ToHashSet(), BuiltInRoles.PermissionsOf(BuiltInRoles.Operator)!.ToHashSet());
        Assert.Equal([Permission.View, Permission.Logs], BuiltInRoles.PermissionsOf(BuiltInRoles.Viewer)!.Order());
        Assert.Null(BuiltInRoles.PermissionsOf("admin"));
    }

    [Theory]
    [InlineData(ContainerOperation.Start, Permission.Start)]
    [InlineData(ContainerOperation.Stop, Permission.Stop)]
    [InlineData(ContainerOperation.ForceStop, Permission.Stop)]
    [InlineData(ContainerOperation.Restart, Permission.Restart)]
    [InlineData(ContainerOperation.Pause, Permission.Pause)]
    [InlineData(ContainerOperation.Resume, Permission.Pause)]
    [InlineData(ContainerOperation.Deploy, Permission.Deploy)]
    [InlineData(ContainerOperation.Remove, Permission.Remove)]
    public void PermissionFor_MapsOperations(ContainerOperation operation, Permission expected) =>
        Assert.Equal(expected, ContainerService.PermissionFor(operation));

    [Fact]
    public async Task Create_CreatorBecomesTheOnlyOwner()
    {
        var owner = await NewUserAsync();

        var project = await _projects.CreateAsync(owner, "  Team A ", default).Within();

        Assert.Equal("Team A", project.Name);
        var member = Assert.Single(await _projects.ListMembersAsync(owner, project.Id, default).Within());
        Assert.Equal((owner.UserId, BuiltInRoles.Owner), (member.UserId, member.Role));
    }

    [Fact]
    public async Task Get_NotAMember_404ButAdminSeesIt()
    {
        var project = await _projects.CreateAsync(await NewUserAsync(), "p", default).Within();

        var e = await Assert.ThrowsAsync<BerthException>(() => _projects.GetAsync(CoreHarness.NewUser(), project.Id, default)).Within();

        Assert.Equal(BerthError.NotFound, e.Error);
        Assert.Equal(project.Id, (await _projects.GetAsync(CoreHarness.NewAdmin(), project.Id, default).Within()).Id);
    }

    [Fact]
    public async Task MemberManagement_OnlyOwners_AndTheLastOwnerStays()
    {
        var owner = await NewUserAsync();
        var op = await NewUserAsync();
        var project = await _projects.CreateAsync(owner, "p", default).Within();
        await _projects.AddMemberAsync(owner, project.Id, op.UserId, BuiltInRoles.Operator, default).Within();

        var byOperator = await Assert.ThrowsAsync<BerthException>(
            () => _projects.AddMemberAsync(op, project.Id, owner.UserId, BuiltInRoles.Viewer, default)).Within();
        var demoteLast = await Assert.ThrowsAsync<BerthException>(
            () => _projects.UpdateMemberAsync(owner, project.Id, owner.UserId, BuiltInRoles.Viewer, default)).Within();
        var removeLast = await Assert.ThrowsAsync<BerthException>(
            () => _projects.RemoveMemberAsync(owner, project.Id, owner.UserId, default)).Within();

        Assert.Equal(BerthError.InsufficientPermissions, byOperator.Error);
        Assert.Equal(BerthError.OperationStateConflict, demoteLast.Error);
        Assert.Equal(BerthError.OperationStateConflict, removeLast.Error);

        // With a second owner, the first may step down.
        await _projects.UpdateMemberAsync(owner, project.Id, op.UserId, BuiltInRoles.Owner, default).Within();
        await _projects.UpdateMemberAsync(owner, project.Id, owner.UserId, BuiltInRoles.Viewer, default).Within();
        Assert.Equal(BuiltInRoles.Viewer, (await _h.Projects.FindMemberAsync(project.Id, owner.UserId, default).Within())!.Role);
    }

    [Fact]
    public async Task AddMember_UnknownRoleOrUser_ValidationError()
    {
        var owner = await NewUserAsync();
        var project = await _projects.CreateAsync(owner, "p", default).Within();

        var e = await Assert.ThrowsAsync<BerthException>(
            () => _projects.AddMemberAsync(owner, project.Id, Guid.NewGuid(), "boss", default)).Within();

        Assert.Equal(BerthError.ValidationError, e.Error);
        var fields = (IReadOnlyDictionary<string, object?>)e.Details!["fields"]!;
        Assert.Equal(["role", "user_id"], fields.Keys.Order());
    }

    [Fact]
    public async Task CreateRole_UnknownPermission_ValidationError()
    {
        var owner = await NewUserAsync();
        var project = await _projects.CreateAsync(owner, "p", default).Within();

        var e = await Assert.ThrowsAsync<BerthException>(
            () => _projects.CreateRoleAsync(owner, project.Id, "restarter", ["view", "fly"], default)).Within();

        Assert.Equal(BerthError.ValidationError, e.Error);
        Assert.Contains("permissions[1]", ((IReadOnlyDictionary<string, object?>)e.Details!["fields"]!).Keys);
    }

    [Fact]
    public async Task Delete_WithLiveContainer_StateConflict()
    {
        var owner = await NewUserAsync();
        var project = await _projects.CreateAsync(owner, "p", default).Within();
        _h.Seed(ContainerState.Stopped, owner: owner.UserId, projectId: project.Id);

        var e = await Assert.ThrowsAsync<BerthException>(() => _projects.DeleteAsync(owner, project.Id, default)).Within();

        Assert.Equal(BerthError.OperationStateConflict, e.Error);
    }

    [Fact]
    public async Task Viewer_SeesAndListsButCannotStop()
    {
        var (project, owner) = await ProjectAsync();
        var viewer = await MemberAsync(owner, project, BuiltInRoles.Viewer);
        var container = _h.Seed(ContainerState.Running, owner: owner.UserId, projectId: project.Id);
        _h.Seed(ContainerState.Running, owner: owner.UserId);

        Assert.Equal(container.Id, (await _h.Service.GetAsync(viewer, container.Id.ToString(), default).Within()).Id);
        var listed = await _h.Service.ListAsync(viewer, new ContainerListFilter(null, null, null, 1, 100), default).Within();
        var stop = await Assert.ThrowsAsync<BerthException>(
            () => _h.Service.OperateAsync(viewer, container.Id.ToString(), ContainerOperation.Stop, null, null, default)).Within();

        Assert.Equal([container.Id], listed.Items.Select(c => c.Id));
        Assert.Equal(BerthError.InsufficientPermissions, stop.Error);
        Assert.Equal("stop", stop.Details!["permission"]);
        Assert.Equal(ContainerState.Running, (await _h.Store.FindAsync(container.Id, default).Within())!.State);
    }

    [Fact]
    public async Task Outsider_ContainerNotFound()
    {
        var (project, owner) = await ProjectAsync();
        var container = _h.Seed(ContainerState.Running, owner: owner.UserId, projectId: project.Id);

        var e = await Assert.ThrowsAsync<BerthException>(
            () => _h.Service.OperateAsync(CoreHarness.NewUser(), container.Id.ToString(), ContainerOperation.Stop, null, null, default)).Within();

        Assert.Equal(BerthError.ContainerNotFound, e.Error);
    }

    [Fact]
    public async Task Operator_CannotDeleteOrUpdateWithoutPermission_CustomRoleRestartsButCannotStop()
    {
        var (project, owner) = await ProjectAsync();
        var op = await MemberAsync(owner, project, BuiltInRoles.Operator);
        await _projects.CreateRoleAsync(owner, project.Id, "restarter", ["view", "restart"], default).Within();
        var restarter = await MemberAsync(owner, project, "restarter");
        var container = _h.Seed(ContainerState.Running, owner: owner.UserId, projectId: project.Id);
        var id = container.Id.ToString();

        var delete = await Assert.ThrowsAsync<BerthException>(() => _h.Service.DeleteAsync(op, id, null, default)).Within();
        var stop = await Assert.ThrowsAsync<BerthException>(
            () => _h.Service.OperateAsync(restarter, id, ContainerOperation.Stop, null, null, default)).Within();
        var update = await Assert.ThrowsAsync<BerthException>(
            () => _h.Service.UpdateAsync(restarter, id, new UpdateContainerRequest { Replicas = 2 }, null, default)).Within();
        var restarted = await _h.Service.OperateAsync(restarter, id, ContainerOperation.Restart, null, null, default).Within();

        Assert.Equal(("remove", "stop", "update"),
            ((string)delete.Details!["permission"]!, (string)stop.Details!["permission"]!, (string)update.Details!["permission"]!));
        Assert.Equal(ContainerState.Running, restarted.State);
        Assert.Contains(_h.Store.TransitionsOf(container.Id), t => t.Operation == "restart" && t.Actor == restarter.Actor);
    }

    [Fact]
    public async Task CreateInProject_NeedsMembershipAndCreate()
    {
        var (project, owner) = await ProjectAsync();
        var viewer = await MemberAsync(owner, project, BuiltInRoles.Viewer);
        var op = await MemberAsync(owner, project, BuiltInRoles.Operator);
        var request = new CreateContainerRequest { Hostname = "web", ProjectId = project.Id };

        var outsider = await Assert.ThrowsAsync<BerthException>(() => _h.Service.CreateAsync(CoreHarness.NewUser(), request, default)).Within();
        var denied = await Assert.ThrowsAsync<BerthException>(() => _h.Service.CreateAsync(viewer, request, default)).Within();
        var created = await _h.Service.CreateAsync(op, request, default).Within();

        Assert.Equal(BerthError.NotFound, outsider.Error);
        Assert.Equal(BerthError.InsufficientPermissions, denied.Error);
        Assert.Equal(project.Id, created.ProjectId);
        // The owner sees what an operator created in the project.
        Assert.Equal(created.Id, (await _h.Service.GetAsync(owner, created.Id.ToString(), default).Within()).Id);
    }

    [Fact]
    public async Task Commands_ViewerCannotSubmit()
    {
        await using var commands = new CommandHarness();
        var projects = new ProjectService(commands.Core.Projects, commands.Core.Store, _accounts, commands.Core.Time);
        var owner = await NewUserAsync();
        var project = await projects.CreateAsync(owner, "p", default).Within();
        var viewer = await NewUserAsync();
        await projects.AddMemberAsync(owner, project.Id, viewer.UserId, BuiltInRoles.Viewer, default).Within();
        var container = commands.Core.Seed(ContainerState.Running, owner: owner.UserId, projectId: project.Id);

        var e = await Assert.ThrowsAsync<BerthException>(() => commands.Service.SubmitAsync(
            viewer, container.Id.ToString(), new SubmitCommandRequest { Script = "echo hi" }, default)).Within();

        Assert.Equal(BerthError.InsufficientPermissions, e.Error);
        Assert.Equal("exec", e.Details!["permission"]);
    }

    private async Task<(Project Project, Caller Owner)> ProjectAsync()
    {
        var owner = await NewUserAsync();
        return (await _projects.CreateAsync(owner, "team", default).Within(), owner);
    }

    private async Task<Caller> MemberAsync(Caller owner, Project project, string role)
    {
        var member = await NewUserAsync();
        await _projects.AddMemberAsync(owner, project.Id, member.UserId, role, default).Within();
        return member;
    }

    private async Task<Caller> NewUserAsync()
    {
        var now = _h.Time.GetUtcNow();
        var user = new User
        {
            Id = Guid.NewGuid(),
            Email = $"{Guid.NewGuid():N}@example.test",
            Name = "member",
            Role = UserRole.User,
            CreatedAt = now,
            UpdatedAt = now,
        };
        await _accounts.AddUserAsync(user, default).Within();
        return new Caller(user.Id, IsAdmin: false);
    }
}
