using Berth.Core.Containers;
using Berth.Core.Errors;
using Berth.Core.Persistence;

namespace Berth.Data.Tests;

public sealed class ContainerStoreTests
{
    [Fact]
    public async Task FindAsync_AfterAdd_RoundTripsEveryField()
    {
        await using var store = await TestStore.CreateAsync();
        var plus2 = TimeSpan.FromHours(2);
        var container = new Container
        {
            Id = Guid.CreateVersion7(),
            UserId = Guid.NewGuid(),
            ProjectId = Guid.NewGuid(),
            EnvironmentId = "edge-1",
            Hostname = "api",
            Image = "registry.local/app:1.2.3",
            Command = ["sh", "-c", "echo \"hi\" && sleep 1"],
            Env = [new EnvVar("A", "1"), new EnvVar("SECRET_KEY", "s3cr=t;\n\"quoted\"", Secret: true), new EnvVar("EMPTY", "")],
            Port = 8080,
            Replicas = 3,
            CpuCores = 0.25,
            MemoryMb = 1024,
            DiskGb = 24,
            State = ContainerState.Running,
            StateReason = "confirmed by engine",
            PendingOperation = ContainerOperation.ForceStop,
            HealthCheck = new HealthCheck { Path = "/health", Port = 8080, IntervalSeconds = 3, StartWindowSeconds = 30 },
            Domains = ["api.example.com", "www.example.com"],
            Volumes = [new VolumeMount("data", "/data")],
            Pending = new ContainerConfig
            {
                Image = "registry.local/app:1.2.4",
                Env = [new EnvVar("TOKEN", "pending-secret", Secret: true)],
                Port = 8080,
                Replicas = 2,
                Domains = ["api.example.com"],
            },
            ReplicaGeneration = 4,
            CreatedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, plus2).AddTicks(1234567),
            UpdatedAt = new DateTimeOffset(2025, 1, 2, 4, 0, 0, plus2),
            ObservedAt = new DateTimeOffset(2025, 1, 2, 4, 0, 1, TimeSpan.Zero).AddTicks(1),
            LastDeployedAt = new DateTimeOffset(2025, 1, 2, 5, 0, 0, TimeSpan.FromHours(-5)),
            ExpiresAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            Version = 7,
        };

        await store.Containers.AddAsync(container, Make.Created(container), store.Ct);
        var found = await store.Containers.FindAsync(container.Id, store.Ct);

        Assert.NotNull(found);
        AssertSame(container, found);
        Assert.Equal(TimeSpan.Zero, found.CreatedAt.Offset);
        Assert.Equal(TimeSpan.Zero, found.LastDeployedAt!.Value.Offset);
    }

    [Fact]
    public async Task FindAsync_NullableFieldsUnset_StayNull()
    {
        await using var store = await TestStore.CreateAsync();
        var container = Make.Container();

        await store.Containers.AddAsync(container, Make.Created(container), store.Ct);
        var found = await store.Containers.FindAsync(container.Id, store.Ct);

        Assert.NotNull(found);
        AssertSame(container, found);
        Assert.Null(found.Command);
        Assert.Empty(found.Env);
        Assert.Null(found.ProjectId);
        Assert.Null(found.ObservedAt);
        Assert.Null(found.LastDeployedAt);
        Assert.Null(found.ExpiresAt);
        Assert.Null(found.PendingOperation);
    }

    [Fact]
    public async Task FindAsync_EmptyCommand_StaysEmptyNotNull()
    {
        await using var store = await TestStore.CreateAsync();
        var container = Make.Container() with { Command = [] };

        await store.Containers.AddAsync(container, Make.Created(container), store.Ct);
        var found = await store.Containers.FindAsync(container.Id, store.Ct);

        Assert.NotNull(found?.Command);
        Assert.Empty(found.Command);
    }

    [Fact]
    public async Task FindAsync_UnknownId_ReturnsNull()
    {
        await using var store = await TestStore.CreateAsync();

        Assert.Null(await store.Containers.FindAsync(Guid.NewGuid(), store.Ct));
    }

    [Fact]
    public async Task FindByHostnameAsync_SameNameForTwoOwners_ReturnsBothLiveOnly()
    {
        await using var store = await TestStore.CreateAsync();
        var first = Make.Container(hostname: "shared");
        var second = Make.Container(hostname: "shared", createdAt: Make.T0.AddMinutes(1));
        var deleted = Make.Container(hostname: "shared");
        var other = Make.Container(hostname: "other");
        foreach (var c in new[] { first, second, deleted, other })
        {
            await store.Containers.AddAsync(c, Make.Created(c), store.Ct);
        }
        await store.Containers.DeleteAsync(deleted.Id, Make.Transition(deleted, deleted.State, ContainerState.Deleting), store.Ct);

        var found = await store.Containers.FindByHostnameAsync("shared", store.Ct);

        Assert.Equal(new[] { first.Id, second.Id }.Order(), found.Select(c => c.Id).Order());
        Assert.Empty(await store.Containers.FindByHostnameAsync("missing", store.Ct));
    }

    [Fact]
    public async Task AddAsync_HostnameTakenBySameOwner_ThrowsAlreadyExists()
    {
        await using var store = await TestStore.CreateAsync();
        var first = Make.Container(hostname: "x");
        var duplicate = Make.Container(userId: first.UserId, hostname: "x");
        await store.Containers.AddAsync(first, Make.Created(first), store.Ct);

        var e = await Assert.ThrowsAsync<BerthException>(
            () => store.Containers.AddAsync(duplicate, Make.Created(duplicate), store.Ct));

        Assert.Equal(BerthError.AlreadyExists, e.Error);
        Assert.Equal("A container named 'x' already exists", e.Message);
        Assert.Null(await store.Containers.FindAsync(duplicate.Id, store.Ct));
        var log = await store.Containers.ListTransitionsAsync(duplicate.Id, AllTransitions, store.Ct);
        Assert.Equal(0, log.Total);
    }

    [Fact]
    public async Task AddAsync_HostnameTakenByAnotherOwner_Succeeds()
    {
        await using var store = await TestStore.CreateAsync();
        var first = Make.Container(hostname: "x");
        var second = Make.Container(hostname: "x");

        await store.Containers.AddAsync(first, Make.Created(first), store.Ct);
        await store.Containers.AddAsync(second, Make.Created(second), store.Ct);

        Assert.NotNull(await store.Containers.FindAsync(second.Id, store.Ct));
    }

    [Fact]
    public async Task AddAsync_HostnameOfDeletedContainer_Succeeds()
    {
        await using var store = await TestStore.CreateAsync();
        var first = Make.Container(hostname: "x");
        var again = Make.Container(userId: first.UserId, hostname: "x");
        await store.Containers.AddAsync(first, Make.Created(first), store.Ct);
        await store.Containers.DeleteAsync(first.Id, Make.Transition(first, first.State, ContainerState.Deleting), store.Ct);

        await store.Containers.AddAsync(again, Make.Created(again), store.Ct);

        Assert.NotNull(await store.Containers.FindAsync(again.Id, store.Ct));
    }

    [Fact]
    public async Task TryUpdateAsync_ExpectedVersion_ReplacesRecordAndWritesTransition()
    {
        await using var store = await TestStore.CreateAsync();
        var container = Make.Container();
        await store.Containers.AddAsync(container, Make.Created(container), store.Ct);
        var updated = container with
        {
            State = ContainerState.Running,
            Image = "berth/busybox:2",
            Env = [new EnvVar("K", "V")],
            ObservedAt = Make.T0.AddSeconds(3),
            UpdatedAt = Make.T0.AddSeconds(3),
            Version = container.Version + 1,
        };

        var applied = await store.Containers.TryUpdateAsync(updated, container.Version,
            Make.Transition(container, ContainerState.Provisioning, ContainerState.Running, Make.T0.AddSeconds(3)), store.Ct);

        Assert.True(applied);
        var found = await store.Containers.FindAsync(container.Id, store.Ct);
        Assert.NotNull(found);
        AssertSame(updated, found);
        Assert.Equal(2, found.Version);
        var log = await store.Containers.ListTransitionsAsync(container.Id, AllTransitions, store.Ct);
        Assert.Equal(2, log.Total);
    }

    [Fact]
    public async Task TryUpdateAsync_WithoutTransition_UpdatesRecordOnly()
    {
        await using var store = await TestStore.CreateAsync();
        var container = Make.Container();
        await store.Containers.AddAsync(container, Make.Created(container), store.Ct);

        var applied = await store.Containers.TryUpdateAsync(container with { Pending = container.Config with { Replicas = 2 }, Version = 2 }, 1, null, store.Ct);

        Assert.True(applied);
        Assert.True((await store.Containers.FindAsync(container.Id, store.Ct))!.HasPendingChanges);
        Assert.Equal(1, (await store.Containers.ListTransitionsAsync(container.Id, AllTransitions, store.Ct)).Total);
    }

    [Fact]
    public async Task TryUpdateAsync_StaleVersion_ReturnsFalseAndWritesNothing()
    {
        await using var store = await TestStore.CreateAsync();
        var container = Make.Container();
        await store.Containers.AddAsync(container, Make.Created(container), store.Ct);
        var current = container with { State = ContainerState.Running, Version = 2 };
        Assert.True(await store.Containers.TryUpdateAsync(current, 1, null, store.Ct));

        var stale = container with { State = ContainerState.Failed, StateReason = "stale", Version = 2 };
        var applied = await store.Containers.TryUpdateAsync(stale, 1,
            Make.Transition(container, ContainerState.Provisioning, ContainerState.Failed), store.Ct);

        Assert.False(applied);
        var found = await store.Containers.FindAsync(container.Id, store.Ct);
        Assert.NotNull(found);
        AssertSame(current, found);
        Assert.Equal(1, (await store.Containers.ListTransitionsAsync(container.Id, AllTransitions, store.Ct)).Total);
    }

    [Fact]
    public async Task TryUpdateAsync_DeletedContainer_ReturnsFalse()
    {
        await using var store = await TestStore.CreateAsync();
        var container = Make.Container();
        await store.Containers.AddAsync(container, Make.Created(container), store.Ct);
        await store.Containers.DeleteAsync(container.Id, Make.Transition(container, container.State, ContainerState.Deleting), store.Ct);

        // The delete moved the stored version on; neither the old nor the new one revives the row.
        var withOld = await store.Containers.TryUpdateAsync(container with { Version = 2 }, 1, null, store.Ct);
        var withCurrent = await store.Containers.TryUpdateAsync(container with { Version = 3 }, 2, null, store.Ct);

        Assert.False(withOld);
        Assert.False(withCurrent);
        Assert.Null(await store.Containers.FindAsync(container.Id, store.Ct));
    }

    [Fact]
    public async Task TryUpdateAsync_ConcurrentWritersOnSameVersion_ExactlyOneWins()
    {
        await using var store = await TestStore.CreateAsync();
        for (var round = 0; round < 5; round++)
        {
            var container = Make.Container();
            await store.Containers.AddAsync(container, Make.Created(container), store.Ct);
            var writers = Enumerable.Range(0, 4).Select(i => Task.Run(() => store.Containers.TryUpdateAsync(
                container with { StateReason = $"writer {i}", Version = 2 }, 1,
                Make.Transition(container, container.State, ContainerState.Running), store.Ct)));

            var results = await Task.WhenAll(writers).WaitAsync(TestStore.Timeout);

            Assert.Single(results, r => r);
            var found = await store.Containers.FindAsync(container.Id, store.Ct);
            Assert.Equal(2, found!.Version);
            Assert.Equal(2, (await store.Containers.ListTransitionsAsync(container.Id, AllTransitions, store.Ct)).Total);
        }
    }

    [Fact]
    public async Task DeleteAsync_LiveContainer_HidesItAndKeepsItsTransitions()
    {
        await using var store = await TestStore.CreateAsync();
        var container = Make.Container();
        var kept = Make.Container(userId: container.UserId);
        await store.Containers.AddAsync(container, Make.Created(container), store.Ct);
        await store.Containers.AddAsync(kept, Make.Created(kept), store.Ct);

        await store.Containers.DeleteAsync(container.Id,
            Make.Transition(container, container.State, ContainerState.Deleting, Make.T0.AddMinutes(1), operation: "remove"), store.Ct);

        Assert.Null(await store.Containers.FindAsync(container.Id, store.Ct));
        Assert.Empty(await store.Containers.FindByHostnameAsync(container.Hostname, store.Ct));
        var page = await store.Containers.ListAsync(new ContainerQuery(container.UserId, null, null, null, 1, 10), store.Ct);
        Assert.Equal([kept.Id], page.Items.Select(c => c.Id));
        Assert.Equal(1, page.Total);
        Assert.DoesNotContain(await store.Containers.ListLiveAsync(store.Ct), c => c.Id == container.Id);
        var log = await store.Containers.ListTransitionsAsync(container.Id,
            new TransitionQuery(1, 10, TransitionSort.TransitionTime, SortOrder.Ascending), store.Ct);
        Assert.Equal(2, log.Total);
        Assert.Equal([ContainerState.Provisioning, ContainerState.Deleting], log.Items.Select(t => t.ToStatus));
        Assert.Equal("remove", log.Items[1].Operation);
    }

    [Fact]
    public async Task DeleteAsync_UnknownOrAlreadyDeleted_ThrowsContainerNotFound()
    {
        await using var store = await TestStore.CreateAsync();
        var container = Make.Container();
        await store.Containers.AddAsync(container, Make.Created(container), store.Ct);
        var removal = Make.Transition(container, container.State, ContainerState.Deleting);
        await store.Containers.DeleteAsync(container.Id, removal, store.Ct);

        var again = await Assert.ThrowsAsync<BerthException>(() => store.Containers.DeleteAsync(container.Id,
            Make.Transition(container, container.State, ContainerState.Deleting), store.Ct));
        var unknown = await Assert.ThrowsAsync<BerthException>(() => store.Containers.DeleteAsync(Guid.NewGuid(),
            Make.Transition(Make.Container(), ContainerState.Running, ContainerState.Deleting), store.Ct));

        Assert.Equal(BerthError.ContainerNotFound, again.Error);
        Assert.Equal(BerthError.ContainerNotFound, unknown.Error);
        Assert.Equal(2, (await store.Containers.ListTransitionsAsync(container.Id, AllTransitions, store.Ct)).Total);
    }

    [Fact]
    public async Task ListAsync_Filters_ReturnMatchingRowsAndTotals()
    {
        await using var store = await TestStore.CreateAsync();
        var alice = Guid.NewGuid();
        var bob = Guid.NewGuid();
        var project = Guid.NewGuid();
        var containers = new[]
        {
            Make.Container(alice, createdAt: Make.T0.AddMinutes(1), projectId: project, state: ContainerState.Running),
            Make.Container(alice, createdAt: Make.T0.AddMinutes(2), environmentId: "edge", state: ContainerState.Stopped),
            Make.Container(alice, createdAt: Make.T0.AddMinutes(3), projectId: project, environmentId: "edge", state: ContainerState.Running),
            Make.Container(bob, createdAt: Make.T0.AddMinutes(4), projectId: project, state: ContainerState.Failed),
            Make.Container(bob, createdAt: Make.T0.AddMinutes(5)),
        };
        foreach (var c in containers)
        {
            await store.Containers.AddAsync(c, Make.Created(c), store.Ct);
        }
        Guid[] Ids(params int[] indexes) => indexes.Select(i => containers[i].Id).ToArray();

        async Task<Guid[]> List(Guid? owner = null, Guid? projectId = null, string? env = null, ContainerState? state = null)
        {
            var page = await store.Containers.ListAsync(new ContainerQuery(owner, projectId, env, state, 1, 100), store.Ct);
            Assert.Equal(page.Items.Count, page.Total);
            return page.Items.Select(c => c.Id).ToArray();
        }

        Assert.Equal(Ids(4, 3, 2, 1, 0), await List());
        Assert.Equal(Ids(2, 1, 0), await List(owner: alice));
        Assert.Equal(Ids(4, 3), await List(owner: bob));
        Assert.Equal(Ids(3, 2, 0), await List(projectId: project));
        Assert.Equal(Ids(2, 0), await List(owner: alice, projectId: project));
        Assert.Equal(Ids(2, 1), await List(env: "edge"));
        Assert.Equal(Ids(2, 0), await List(state: ContainerState.Running));
        Assert.Equal(Ids(2), await List(owner: alice, projectId: project, env: "edge", state: ContainerState.Running));
        Assert.Empty(await List(owner: Guid.NewGuid()));
    }

    [Fact]
    public async Task ListAsync_Pages_OrderNewestFirstWithStableTiesAndTotal()
    {
        await using var store = await TestStore.CreateAsync();
        var owner = Guid.NewGuid();
        var containers = Enumerable.Range(0, 7)
            .Select(i => Make.Container(owner, createdAt: Make.T0.AddMinutes(i / 2)))
            .ToList();
        foreach (var c in containers)
        {
            await store.Containers.AddAsync(c, Make.Created(c), store.Ct);
        }
        var expected = containers.OrderByDescending(c => c.CreatedAt)
            .ThenByDescending(c => c.Id.ToString("D").ToUpperInvariant(), StringComparer.Ordinal)
            .Select(c => c.Id).ToList();

        var seen = new List<Guid>();
        for (var pageNumber = 1; pageNumber <= 3; pageNumber++)
        {
            var page = await store.Containers.ListAsync(new ContainerQuery(owner, null, null, null, pageNumber, 3), store.Ct);
            Assert.Equal(7, page.Total);
            Assert.Equal(3, page.TotalPages);
            Assert.Equal(pageNumber, page.PageNumber);
            seen.AddRange(page.Items.Select(c => c.Id));
        }
        var beyond = await store.Containers.ListAsync(new ContainerQuery(owner, null, null, null, 4, 3), store.Ct);

        Assert.Equal(expected, seen);
        Assert.Empty(beyond.Items);
        Assert.Equal(7, beyond.Total);
    }

    public static TheoryData<TransitionSort, SortOrder> SortCases()
    {
        var cases = new TheoryData<TransitionSort, SortOrder>();
        foreach (var sort in Enum.GetValues<TransitionSort>())
        {
            cases.Add(sort, SortOrder.Ascending);
            cases.Add(sort, SortOrder.Descending);
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(SortCases))]
    public async Task ListTransitionsAsync_SortKeyAndOrder_PagesInStableOrder(TransitionSort sortBy, SortOrder order)
    {
        await using var store = await TestStore.CreateAsync();
        var container = Make.Container();
        var first = Make.Created(container);
        await store.Containers.AddAsync(container, first, store.Ct);
        // Keys chosen so that each sort gives a different order and each has ties.
        var written = new List<StatusTransition> { first };
        (ContainerState? From, ContainerState To, int AtMinute, int CreatedMinute)[] steps =
        [
            (ContainerState.Provisioning, ContainerState.Running, 5, 1),
            (ContainerState.Running, ContainerState.Stopped, 2, 9),
            (ContainerState.Stopped, ContainerState.Running, 5, 3),
            (ContainerState.Running, ContainerState.Paused, 7, 3),
            (ContainerState.Paused, ContainerState.Failed, 1, 8),
            (ContainerState.Failed, ContainerState.Running, 7, 0),
        ];
        var current = container;
        foreach (var (from, to, atMinute, createdMinute) in steps)
        {
            var next = current with { State = to, Version = current.Version + 1 };
            var transition = Make.Transition(container, from, to, Make.T0.AddMinutes(atMinute), Make.T0.AddMinutes(createdMinute));
            Assert.True(await store.Containers.TryUpdateAsync(next, current.Version, transition, store.Ct));
            written.Add(transition);
            current = next;
        }
        var expected = ExpectedOrder(written, sortBy, order).Select(t => t.Id).ToList();

        var seen = new List<Guid>();
        const int Limit = 3;
        for (var pageNumber = 1; pageNumber <= 3; pageNumber++)
        {
            var page = await store.Containers.ListTransitionsAsync(container.Id,
                new TransitionQuery(pageNumber, Limit, sortBy, order), store.Ct);
            Assert.Equal(written.Count, page.Total);
            Assert.Equal(3, page.TotalPages);
            Assert.True(page.Items.Count <= Limit);
            seen.AddRange(page.Items.Select(t => t.Id));
        }

        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task ListTransitionsAsync_RoundTripsEveryField()
    {
        await using var store = await TestStore.CreateAsync();
        var container = Make.Container();
        var transition = new StatusTransition
        {
            Id = Guid.CreateVersion7(),
            ContainerId = container.Id,
            FromStatus = null,
            ToStatus = ContainerState.Provisioning,
            TransitionTime = new DateTimeOffset(2025, 5, 6, 7, 8, 9, TimeSpan.FromHours(3)).AddTicks(42),
            Operation = "create",
            Actor = Actor.System,
            Reason = "requested",
            CreatedAt = new DateTimeOffset(2025, 5, 6, 4, 8, 10, TimeSpan.Zero),
        };
        await store.Containers.AddAsync(container, transition, store.Ct);

        var page = await store.Containers.ListTransitionsAsync(container.Id, AllTransitions, store.Ct);

        var found = Assert.Single(page.Items);
        Assert.Equal(transition, found);
        Assert.Equal(TimeSpan.Zero, found.TransitionTime.Offset);
    }

    private static readonly TransitionQuery AllTransitions = new(1, 100, TransitionSort.TransitionTime, SortOrder.Ascending);

    // Mirrors the store's order: SQLite puts NULL first ascending; ties fall back to insertion order.
    private static IEnumerable<StatusTransition> ExpectedOrder(List<StatusTransition> written, TransitionSort sortBy, SortOrder order)
    {
        var indexed = written.Select((t, i) => (Transition: t, Index: i)).ToList();
        string Key((StatusTransition Transition, int Index) x) => sortBy switch
        {
            TransitionSort.TransitionTime => x.Transition.TransitionTime.UtcTicks.ToString("D20", System.Globalization.CultureInfo.InvariantCulture),
            TransitionSort.CreatedAt => x.Transition.CreatedAt.UtcTicks.ToString("D20", System.Globalization.CultureInfo.InvariantCulture),
            TransitionSort.ToStatus => x.Transition.ToStatus.ToString(),
            TransitionSort.FromStatus => x.Transition.FromStatus?.ToString() ?? "",
            _ => throw new ArgumentOutOfRangeException(nameof(sortBy)),
        };
        var sorted = order == SortOrder.Ascending
            ? indexed.OrderBy(Key, StringComparer.Ordinal).ThenBy(x => x.Index)
            : indexed.OrderByDescending(Key, StringComparer.Ordinal).ThenByDescending(x => x.Index);
        return sorted.Select(x => x.Transition);
    }

    // Records compare lists by reference, so compare the lists by content and the rest as records.
    [Fact]
    public async Task SecretEnvValues_EncryptedInTheFile_ClearWhenRead()
    {
        await using var store = await TestStore.CreateAsync();
        var container = Make.Container() with
        {
            Env = [new EnvVar("PLAIN", "visible-value"), new EnvVar("API_KEY", "hunter2-secret", Secret: true)],
            Pending = Make.Container().Config with { Env = [new EnvVar("API_KEY", "next-secret", Secret: true)] },
        };

        await store.Containers.AddAsync(container, Make.Created(container), store.Ct);
        var found = await store.Containers.FindAsync(container.Id, store.Ct);

        Assert.Equal("hunter2-secret", found!.Env.Single(e => e.Key == "API_KEY").Value);
        Assert.Equal("next-secret", found.Pending!.Env.Single().Value);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var file = System.Text.Encoding.UTF8.GetString(await File.ReadAllBytesAsync(store.DatabasePath, store.Ct))
            + (File.Exists(store.DatabasePath + "-wal") ? System.Text.Encoding.UTF8.GetString(await File.ReadAllBytesAsync(store.DatabasePath + "-wal", store.Ct)) : "");
        Assert.Contains("visible-value", file, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", file, StringComparison.Ordinal);
        Assert.DoesNotContain("next-secret", file, StringComparison.Ordinal);
        Assert.Contains(TestSecretProtector.Prefix, file, StringComparison.Ordinal);
    }

    private static void AssertSame(Container expected, Container actual)
    {
        Assert.True(expected.Config.SameAs(actual.Config), "configuration differs");
        Assert.Equal(expected.Pending is null, actual.Pending is null);
        Assert.True(expected.Pending is null || expected.Pending.SameAs(actual.Pending!), "pending configuration differs");
        Assert.Equal(expected.Env, actual.Env);
        if (expected.Command is null)
        {
            Assert.Null(actual.Command);
        }
        else
        {
            Assert.Equal(expected.Command, actual.Command!);
        }
        Assert.Equal(expected, actual with
        {
            Env = expected.Env, Command = expected.Command, Domains = expected.Domains, Volumes = expected.Volumes, Pending = expected.Pending,
        });
    }
}
