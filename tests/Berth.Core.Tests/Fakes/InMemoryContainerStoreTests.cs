using Berth.Core.Containers;
using Berth.Core.Errors;
using Berth.Core.Lifecycle;
using Berth.Core.Persistence;

namespace Berth.Core.Tests.Fakes;

/// <summary>The fake store must keep the contract the real stores keep, or tests built on it prove nothing.</summary>
public sealed class InMemoryContainerStoreTests
{
    private readonly InMemoryContainerStore _store = new();
    private readonly TestTimeProvider _time = new();

    private Container NewContainer(Guid owner, string hostname) => new()
    {
        Id = Guid.CreateVersion7(_time.GetUtcNow()),
        UserId = owner,
        EnvironmentId = "local",
        Hostname = hostname,
        Image = "berth/busybox:latest",
        State = ContainerState.Provisioning,
        CreatedAt = _time.GetUtcNow(),
        UpdatedAt = _time.GetUtcNow(),
    };

    private StatusTransition Line(Container c, ContainerState? from, ContainerState to, string operation = "create") =>
        Transitions.Create(c.Id, from, to, operation, "tester", null, _time);

    private async Task<Container> AddAsync(Guid owner, string hostname)
    {
        var container = NewContainer(owner, hostname);
        await _store.AddAsync(container, Line(container, null, ContainerState.Provisioning), CancellationToken.None).Within();
        return container;
    }

    [Fact]
    public async Task AddAsync_SameHostnameSameOwner_AlreadyExists()
    {
        var owner = Guid.NewGuid();
        await AddAsync(owner, "web");

        var ex = await Assert.ThrowsAsync<BerthException>(() => AddAsync(owner, "web")).Within();

        Assert.Equal(BerthError.AlreadyExists, ex.Error);
    }

    [Fact]
    public async Task AddAsync_SameHostnameAfterDelete_Allowed()
    {
        var owner = Guid.NewGuid();
        var first = await AddAsync(owner, "web");
        await _store.DeleteAsync(first.Id, Line(first, ContainerState.Provisioning, ContainerState.Deleting, "remove"), CancellationToken.None).Within();

        var second = await AddAsync(owner, "web");

        Assert.Equal(second, await _store.FindAsync(second.Id, CancellationToken.None).Within());
        Assert.Equal([second], await _store.FindByHostnameAsync("web", CancellationToken.None).Within());
    }

    [Fact]
    public async Task TryUpdateAsync_StaleVersion_FalseAndNothingWritten()
    {
        var container = await AddAsync(Guid.NewGuid(), "web");
        var next = container with { State = ContainerState.Running, Version = 2 };

        var written = await _store.TryUpdateAsync(next, expectedVersion: 7, Line(container, ContainerState.Provisioning, ContainerState.Running),
            CancellationToken.None).Within();

        Assert.False(written);
        Assert.Equal(container, await _store.FindAsync(container.Id, CancellationToken.None).Within());
        Assert.Single(_store.TransitionsOf(container.Id));
    }

    [Fact]
    public async Task TryUpdateAsync_CurrentVersion_WritesRecordAndTransitionTogether()
    {
        var container = await AddAsync(Guid.NewGuid(), "web");
        var next = container with { State = ContainerState.Running, Version = 2 };

        var written = await _store.TryUpdateAsync(next, container.Version, Line(container, ContainerState.Provisioning, ContainerState.Running),
            CancellationToken.None).Within();

        Assert.True(written);
        Assert.Equal(next, await _store.FindAsync(container.Id, CancellationToken.None).Within());
        Assert.Equal(2, _store.TransitionsOf(container.Id).Count);
    }

    [Fact]
    public async Task DeleteAsync_SoftDelete_HiddenButHistoryKept()
    {
        var container = await AddAsync(Guid.NewGuid(), "web");

        await _store.DeleteAsync(container.Id, Line(container, ContainerState.Provisioning, ContainerState.Deleting, "remove"), CancellationToken.None).Within();

        Assert.Null(await _store.FindAsync(container.Id, CancellationToken.None).Within());
        Assert.Empty(await _store.ListLiveAsync(CancellationToken.None).Within());
        Assert.Empty(await _store.FindByHostnameAsync("web", CancellationToken.None).Within());
        var log = await _store.ListTransitionsAsync(container.Id,
            new TransitionQuery(1, 10, TransitionSort.TransitionTime, SortOrder.Descending), CancellationToken.None).Within();
        Assert.Equal(2, log.Total);
        Assert.False(await _store.TryUpdateAsync(container with { Version = 2 }, container.Version, null, CancellationToken.None).Within());
    }

    [Fact]
    public async Task ListTransitionsAsync_SortedAndPaged()
    {
        var container = await AddAsync(Guid.NewGuid(), "web");
        var state = ContainerState.Provisioning;
        var current = container;
        foreach (var to in new[] { ContainerState.Running, ContainerState.Paused, ContainerState.Running, ContainerState.Stopped })
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            var next = current with { State = to, Version = current.Version + 1 };
            Assert.True(await _store.TryUpdateAsync(next, current.Version, Line(current, state, to, "op"), CancellationToken.None).Within());
            (current, state) = (next, to);
        }

        var newest = await _store.ListTransitionsAsync(container.Id,
            new TransitionQuery(1, 2, TransitionSort.TransitionTime, SortOrder.Descending), CancellationToken.None).Within();
        var oldestPage3 = await _store.ListTransitionsAsync(container.Id,
            new TransitionQuery(3, 2, TransitionSort.TransitionTime, SortOrder.Ascending), CancellationToken.None).Within();
        var byStatus = await _store.ListTransitionsAsync(container.Id,
            new TransitionQuery(1, 10, TransitionSort.ToStatus, SortOrder.Ascending), CancellationToken.None).Within();

        Assert.Equal((5, 3), (newest.Total, newest.TotalPages));
        Assert.Equal([ContainerState.Stopped, ContainerState.Running], newest.Items.Select(t => t.ToStatus));
        Assert.Equal([ContainerState.Stopped], oldestPage3.Items.Select(t => t.ToStatus));
        Assert.Equal(
            [ContainerState.Paused, ContainerState.Provisioning, ContainerState.Running, ContainerState.Running, ContainerState.Stopped],
            byStatus.Items.Select(t => t.ToStatus));
    }
}
