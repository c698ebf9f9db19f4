using Berth.Core.Accounts;
using Berth.Core.Containers;
using Berth.Core.Errors;
using Berth.Core.Persistence;
using Berth.Core.Tests.Fakes;

namespace Berth.Core.Tests.Containers;

public sealed class ContainerServiceTests : IAsyncLifetime
{
    private static readonly ContainerListFilter s_everything = new(null, null, null, 1, 100);
    private readonly CoreHarness _h = new();

    private ContainerService Service => _h.Service;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _h.DisposeAsync().AsTask();

    private Task<Container> CreateAsync(Caller caller, string hostname) =>
        Service.CreateAsync(caller, new CreateContainerRequest { Hostname = hostname }, CancellationToken.None).Within();

    private async Task<BerthException> FailsAsync(Func<Task> action) =>
        await Assert.ThrowsAsync<BerthException>(action).Within();

    [Fact]
    public async Task CreateAsync_OnlyHostname_ProvisioningWithDefaultsAndFirstTransition()
    {
        var created = await CreateAsync(_h.User, "web");

        Assert.Equal(ContainerState.Provisioning, created.State);
        Assert.Equal(ContainerOperation.Create, created.PendingOperation);
        Assert.Equal(_h.User.UserId, created.UserId);
        Assert.Equal("web", created.Hostname);
        Assert.Equal(_h.BerthOptions.DefaultImage, created.Image);
        Assert.Equal(_h.BerthOptions.EnvironmentId, created.EnvironmentId);
        Assert.Equal((1, 1.0, 512, 18), (created.Replicas, created.CpuCores, created.MemoryMb, created.DiskGb));
        Assert.Empty(created.Env);
        Assert.Equal(1, created.Version);
        Assert.Equal(7, created.Id.Version);
        Assert.Equal(_h.Time.GetUtcNow(), created.CreatedAt);
        // The boot runs in the background and may already have added its own line.
        var first = _h.Store.TransitionsOf(created.Id)[0];
        Assert.Null(first.FromStatus);
        Assert.Equal(ContainerState.Provisioning, first.ToStatus);
        Assert.Equal(("create", _h.User.Actor), (first.Operation, first.Actor));
    }

    [Fact]
    public async Task CreateAsync_BootsInBackground_ReachesRunning()
    {
        var created = await CreateAsync(_h.User, "web");

        await _h.Executor.DrainAsync().Within();

        var record = await Service.GetAsync(_h.User, created.Id.ToString(), CancellationToken.None).Within();
        Assert.Equal(ContainerState.Running, record.State);
        Assert.Equal(_h.BerthOptions.DefaultImage, _h.Engine.SpecOf(created.Id)!.Image);
        Assert.Equal(2, _h.Store.TransitionsOf(created.Id).Count);
    }

    [Fact]
    public async Task CreateAsync_InvalidRequest_ValidationErrorAndNothingStored()
    {
        var ex = await FailsAsync(() => Service.CreateAsync(_h.User,
            new CreateContainerRequest { Hostname = "Bad Name", MemoryMb = 1 }, CancellationToken.None));

        Assert.Equal(BerthError.ValidationError, ex.Error);
        Assert.Equal(0, (await Service.ListAsync(_h.User, s_everything, CancellationToken.None).Within()).Total);
    }

    [Fact]
    public async Task CreateAsync_SameHostnameSameOwner_AlreadyExists()
    {
        await CreateAsync(_h.User, "web");

        var ex = await FailsAsync(() => CreateAsync(_h.User, "web"));

        Assert.Equal(BerthError.AlreadyExists, ex.Error);
        Assert.Equal(409, ex.Error.Status);
    }

    [Fact]
    public async Task CreateAsync_SameHostnameOtherOwner_Allowed()
    {
        var mine = await CreateAsync(_h.User, "web");
        var theirs = await CreateAsync(CoreHarness.NewUser(), "web");

        Assert.NotEqual(mine.Id, theirs.Id);
    }

    [Fact]
    public async Task ListAsync_User_SeesOnlyOwnContainers()
    {
        var other = CoreHarness.NewUser();
        var mine = await CreateAsync(_h.User, "mine");
        await CreateAsync(other, "theirs");

        var page = await Service.ListAsync(_h.User, s_everything, CancellationToken.None).Within();

        Assert.Equal(mine.Id, Assert.Single(page.Items).Id);
        Assert.Equal(1, page.Total);
    }

    [Fact]
    public async Task ListAsync_Admin_SeesEveryContainer()
    {
        await CreateAsync(_h.User, "mine");
        await CreateAsync(CoreHarness.NewUser(), "theirs");

        var page = await Service.ListAsync(CoreHarness.NewAdmin(), s_everything, CancellationToken.None).Within();

        Assert.Equal(2, page.Total);
    }

    [Fact]
    public async Task ListAsync_StateFilterAndPaging_Applied()
    {
        _h.Seed(ContainerState.Running);
        _h.Seed(ContainerState.Running);
        _h.Seed(ContainerState.Running);
        _h.Seed(ContainerState.Stopped);

        var page = await Service.ListAsync(_h.User, new ContainerListFilter(null, null, ContainerState.Running, 2, 2), CancellationToken.None).Within();

        Assert.Equal((3, 2), (page.Total, page.TotalPages));
        Assert.Single(page.Items);
    }

    [Fact]
    public async Task GetAsync_OwnById_Found()
    {
        var created = await CreateAsync(_h.User, "web");

        var found = await Service.GetAsync(_h.User, created.Id.ToString(), CancellationToken.None).Within();

        Assert.Equal(created.Id, found.Id);
    }

    [Fact]
    public async Task GetAsync_OtherUsersById_ContainerNotFound()
    {
        var theirs = await CreateAsync(CoreHarness.NewUser(), "web");

        var ex = await FailsAsync(() => Service.GetAsync(_h.User, theirs.Id.ToString(), CancellationToken.None));

        Assert.Equal(BerthError.ContainerNotFound, ex.Error);
        Assert.Equal(404, ex.Error.Status);
    }

    [Fact]
    public async Task GetAsync_OtherUsersByHostname_ContainerNotFound()
    {
        await CreateAsync(CoreHarness.NewUser(), "theirs");

        var ex = await FailsAsync(() => Service.GetAsync(_h.User, "theirs", CancellationToken.None));

        Assert.Equal(BerthError.ContainerNotFound, ex.Error);
    }

    [Fact]
    public async Task GetAsync_UnknownId_ContainerNotFound()
    {
        var ex = await FailsAsync(() => Service.GetAsync(_h.User, Guid.NewGuid().ToString(), CancellationToken.None));

        Assert.Equal(BerthError.ContainerNotFound, ex.Error);
    }

    [Fact]
    public async Task GetAsync_AdminByIdOfAnyone_Found()
    {
        var theirs = await CreateAsync(CoreHarness.NewUser(), "web");

        var found = await Service.GetAsync(CoreHarness.NewAdmin(), theirs.Id.ToString(), CancellationToken.None).Within();

        Assert.Equal(theirs.Id, found.Id);
    }

    [Fact]
    public async Task GetAsync_OwnByHostnameWhileOthersShareIt_FindsOwn()
    {
        var mine = await CreateAsync(_h.User, "web");
        await CreateAsync(CoreHarness.NewUser(), "web");

        var found = await Service.GetAsync(_h.User, "web", CancellationToken.None).Within();

        Assert.Equal(mine.Id, found.Id);
    }

    [Fact]
    public async Task GetAsync_AdminHostnameMatchingSeveral_ValidationErrorAskingForId()
    {
        await CreateAsync(_h.User, "web");
        await CreateAsync(CoreHarness.NewUser(), "web");

        var ex = await FailsAsync(() => Service.GetAsync(CoreHarness.NewAdmin(), "web", CancellationToken.None));

        Assert.Equal(BerthError.ValidationError, ex.Error);
        Assert.Contains("by its id", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not_a_dns!")]
    [InlineData("UPPER")]
    [InlineData("-web")]
    [InlineData("")]
    public async Task GetAsync_MalformedId_InvalidIdFormat(string id)
    {
        var ex = await FailsAsync(() => Service.GetAsync(_h.User, id, CancellationToken.None));

        Assert.Equal(BerthError.InvalidIdFormat, ex.Error);
        Assert.Equal(400, ex.Error.Status);
    }

    [Fact]
    public async Task UpdateAsync_ConfigurationChange_PendingChangesAndVersionBumped()
    {
        var container = _h.Seed(ContainerState.Running);

        var updated = await Service.UpdateAsync(_h.User, container.Id.ToString(),
            new UpdateContainerRequest { Image = "nginx:1.27", MemoryMb = 1024 }, container.Version, CancellationToken.None).Within();

        Assert.True(updated.HasPendingChanges);
        Assert.Equal(container.Version + 1, updated.Version);
        // What runs stays; the change waits for the next deploy.
        Assert.Equal((container.Image, container.MemoryMb), (updated.Image, updated.MemoryMb));
        Assert.Equal(("nginx:1.27", 1024), (updated.Pending!.Image, updated.Pending.MemoryMb));
        Assert.Equal(ContainerState.Running, updated.State);
        Assert.Equal(updated, _h.Store.Get(container.Id));
        Assert.Empty(_h.Store.TransitionsOf(container.Id));
        Assert.DoesNotContain(_h.Engine.Calls, c => c.ContainerId == container.Id);
    }

    [Fact]
    public async Task UpdateAsync_NothingChanges_RecordUntouched()
    {
        var container = _h.Seed(ContainerState.Running);

        var updated = await Service.UpdateAsync(_h.User, container.Hostname,
            new UpdateContainerRequest { Image = container.Image }, null, CancellationToken.None).Within();

        Assert.Equal(container, updated);
        Assert.False(updated.HasPendingChanges);
    }

    [Fact]
    public async Task UpdateAsync_Deleting_StateConflict()
    {
        var container = _h.Seed(ContainerState.Deleting);

        var ex = await FailsAsync(() => Service.UpdateAsync(_h.User, container.Id.ToString(),
            new UpdateContainerRequest { MemoryMb = 1024 }, null, CancellationToken.None));

        Assert.Equal(BerthError.OperationStateConflict, ex.Error);
        Assert.Equal(container, _h.Store.Get(container.Id));
    }

    [Fact]
    public async Task UpdateAsync_Expired_NotPermitted()
    {
        var container = _h.Seed(ContainerState.Expired);

        var ex = await FailsAsync(() => Service.UpdateAsync(_h.User, container.Id.ToString(),
            new UpdateContainerRequest { MemoryMb = 1024 }, null, CancellationToken.None));

        Assert.Equal(BerthError.OperationNotPermittedOnExpired, ex.Error);
    }

    [Fact]
    public async Task UpdateAsync_StaleIfMatch_PreconditionFailed()
    {
        var container = _h.Seed(ContainerState.Running);

        var ex = await FailsAsync(() => Service.UpdateAsync(_h.User, container.Id.ToString(),
            new UpdateContainerRequest { MemoryMb = 1024 }, container.Version + 1, CancellationToken.None));

        Assert.Equal(BerthError.PreconditionFailed, ex.Error);
        Assert.Equal(container, _h.Store.Get(container.Id));
    }

    [Fact]
    public async Task UpdateAsync_InvalidField_ValidationError()
    {
        var container = _h.Seed(ContainerState.Running);

        var ex = await FailsAsync(() => Service.UpdateAsync(_h.User, container.Id.ToString(),
            new UpdateContainerRequest { Replicas = 0 }, null, CancellationToken.None));

        Assert.Equal(BerthError.ValidationError, ex.Error);
    }

    [Fact]
    public async Task UpdateAsync_OtherUsersContainer_ContainerNotFound()
    {
        var theirs = _h.Seed(ContainerState.Running, owner: Guid.NewGuid());

        var ex = await FailsAsync(() => Service.UpdateAsync(_h.User, theirs.Id.ToString(),
            new UpdateContainerRequest { MemoryMb = 1024 }, null, CancellationToken.None));

        Assert.Equal(BerthError.ContainerNotFound, ex.Error);
        Assert.Equal(theirs, _h.Store.Get(theirs.Id));
    }

    [Fact]
    public async Task OperateAsync_ByHostname_ConfirmedState()
    {
        var container = _h.Seed(ContainerState.Running, hostname: "api");

        var stopped = await Service.OperateAsync(_h.User, "api", ContainerOperation.Stop, null, null, CancellationToken.None).Within();

        Assert.Equal(ContainerState.Stopped, stopped.State);
        Assert.Equal(container.Id, stopped.Id);
    }

    [Fact]
    public async Task OperateAsync_OtherUsersContainer_ContainerNotFoundAndEngineUntouched()
    {
        var theirs = _h.Seed(ContainerState.Running, owner: Guid.NewGuid());

        var ex = await FailsAsync(() => Service.OperateAsync(_h.User, theirs.Id.ToString(), ContainerOperation.Stop, null, null, CancellationToken.None));

        Assert.Equal(BerthError.ContainerNotFound, ex.Error);
        Assert.DoesNotContain(_h.Engine.Calls, c => c.ContainerId == theirs.Id);
    }

    [Fact]
    public async Task DeleteAsync_Own_RecordGoneHostnameFreeHistoryKept()
    {
        var created = await CreateAsync(_h.User, "web");
        await _h.Executor.DrainAsync().Within();

        await Service.DeleteAsync(_h.User, "web", null, CancellationToken.None).Within();

        var ex = await FailsAsync(() => Service.GetAsync(_h.User, created.Id.ToString(), CancellationToken.None));
        Assert.Equal(BerthError.ContainerNotFound, ex.Error);
        Assert.False(_h.Engine.Snapshot(created.Id).Exists);
        Assert.Equal(4, _h.Store.TransitionsOf(created.Id).Count);
        var again = await CreateAsync(_h.User, "web");
        Assert.NotEqual(created.Id, again.Id);
    }

    [Fact]
    public async Task ListStatusLogsAsync_Default_NewestFirst()
    {
        var created = await CreateAsync(_h.User, "web");
        await _h.Executor.DrainAsync().Within();
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        await Service.OperateAsync(_h.User, "web", ContainerOperation.Stop, null, null, CancellationToken.None).Within();

        var page = await Service.ListStatusLogsAsync(_h.User, created.Id.ToString(),
            new TransitionQuery(1, 10, TransitionSort.TransitionTime, SortOrder.Descending), CancellationToken.None).Within();

        Assert.Equal(3, page.Total);
        Assert.Equal([ContainerState.Stopped, ContainerState.Running, ContainerState.Provisioning], page.Items.Select(t => t.ToStatus));
    }

    [Fact]
    public async Task ListStatusLogsAsync_OtherUsersContainer_ContainerNotFound()
    {
        var theirs = await CreateAsync(CoreHarness.NewUser(), "web");

        var ex = await FailsAsync(() => Service.ListStatusLogsAsync(_h.User, theirs.Id.ToString(),
            new TransitionQuery(1, 10, TransitionSort.TransitionTime, SortOrder.Descending), CancellationToken.None));

        Assert.Equal(BerthError.ContainerNotFound, ex.Error);
    }
}
