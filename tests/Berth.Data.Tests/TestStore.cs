using Berth.Core.Accounts;
using Berth.Core.Containers;
using Berth.Core.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Data.Tests;

/// <summary>A real, migrated SQLite database in a temporary directory of its own, deleted on dispose.</summary>
internal sealed class TestStore : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly CancellationTokenSource _timeout = new(Timeout);

    private TestStore(string directory, ServiceProvider services)
    {
        Directory = directory;
        Services = services;
    }

    public string Directory { get; }
    public string DatabasePath => SqliteStoreServiceCollectionExtensions.DatabasePathIn(Directory);
    public ServiceProvider Services { get; }
    public CancellationToken Ct => _timeout.Token;
    public IContainerStore Containers => Services.GetRequiredService<IContainerStore>();
    public IAccountStore Accounts => Services.GetRequiredService<IAccountStore>();
    public IIdempotencyStore Idempotency => Services.GetRequiredService<IIdempotencyStore>();
    public Berth.Core.Deployments.IDeploymentStore Deployments => Services.GetRequiredService<Berth.Core.Deployments.IDeploymentStore>();

    public static async Task<TestStore> CreateAsync(bool migrate = true)
    {
        var directory = NewDirectory();
        var services = new ServiceCollection()
            .AddSqliteStore(_ => SqliteStoreServiceCollectionExtensions.DatabasePathIn(directory))
            .AddSingleton<Berth.Core.Secrets.ISecretProtector, TestSecretProtector>()
            .BuildServiceProvider();
        var store = new TestStore(directory, services);
        if (migrate)
        {
            await services.MigrateStoreAsync(store.Ct);
        }
        return store;
    }

    public static string NewDirectory() =>
        Path.Combine(Path.GetTempPath(), "berth-data-tests", Guid.NewGuid().ToString("N"));

    public SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        using (var pooled = new SqliteConnection(SqliteSetup.ConnectionString(DatabasePath)))
        {
            SqliteConnection.ClearPool(pooled);
        }
        _timeout.Dispose();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}

/// <summary>Fresh records for each test; nothing is shared between tests.</summary>
internal static class Make
{
    public static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static Container Container(Guid? userId = null, string? hostname = null, DateTimeOffset? createdAt = null,
        Guid? projectId = null, string environmentId = "local", ContainerState state = ContainerState.Provisioning) => new()
    {
        Id = Guid.CreateVersion7(),
        UserId = userId ?? Guid.NewGuid(),
        ProjectId = projectId,
        EnvironmentId = environmentId,
        Hostname = hostname ?? "web-" + Guid.NewGuid().ToString("N")[..8],
        Image = "berth/busybox:latest",
        State = state,
        CreatedAt = createdAt ?? T0,
        UpdatedAt = createdAt ?? T0,
    };

    public static StatusTransition Transition(Container container, ContainerState? from, ContainerState to,
        DateTimeOffset? at = null, DateTimeOffset? createdAt = null, string operation = "create") => new()
    {
        Id = Guid.CreateVersion7(),
        ContainerId = container.Id,
        FromStatus = from,
        ToStatus = to,
        TransitionTime = at ?? T0,
        Operation = operation,
        Actor = container.UserId.ToString(),
        CreatedAt = createdAt ?? at ?? T0,
    };

    public static StatusTransition Created(Container container) =>
        Transition(container, null, container.State, container.CreatedAt);

    public static User User(string? email = null) => new()
    {
        Id = Guid.CreateVersion7(),
        Email = email ?? $"user-{Guid.NewGuid():N}@example.test",
        Name = "Test User",
        Role = UserRole.User,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    public static AccessToken Token(Guid userId, string? hash = null) => new()
    {
        Id = Guid.CreateVersion7(),
        UserId = userId,
        Name = "ci",
        TokenHash = hash ?? Convert.ToHexString(Guid.NewGuid().ToByteArray()),
        Prefix = "berth_pat_ab",
        CreatedAt = T0,
    };
}
