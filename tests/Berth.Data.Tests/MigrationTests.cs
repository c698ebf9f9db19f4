using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Data.Tests;

public sealed class MigrationTests
{
    [Fact]
    public async Task MigrateStoreAsync_EmptyFileTwice_AppliesOnceInWalMode()
    {
        await using var store = await TestStore.CreateAsync(migrate: false);
        Directory.CreateDirectory(store.Directory);
        await File.WriteAllBytesAsync(store.DatabasePath, [], store.Ct);

        await store.Services.MigrateStoreAsync(store.Ct);
        var first = await AppliedMigrationsAsync(store);
        await store.Services.MigrateStoreAsync(store.Ct);
        var second = await AppliedMigrationsAsync(store);

        Assert.NotEmpty(first);
        Assert.Contains(first, m => m.EndsWith("_Initial", StringComparison.Ordinal));
        Assert.Equal(first, second);
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync(store.Ct));
        var container = Make.Container();
        await store.Containers.AddAsync(container, Make.Created(container), store.Ct);
        Assert.NotNull(await store.Containers.FindAsync(container.Id, store.Ct));
    }

    [Fact]
    public async Task MigrateStoreAsync_MissingDirectory_CreatesIt()
    {
        await using var store = await TestStore.CreateAsync(migrate: false);
        Assert.False(Directory.Exists(store.Directory));

        await store.Services.MigrateStoreAsync(store.Ct);

        Assert.True(File.Exists(store.DatabasePath));
    }

    [Fact]
    public async Task Model_ComparedWithMigrations_HasNoPendingChanges()
    {
        await using var store = await TestStore.CreateAsync();
        var contexts = store.Services.GetRequiredService<IDbContextFactory<BerthDbContext>>();
        await using var db = await contexts.CreateDbContextAsync(store.Ct);

        Assert.False(db.Database.HasPendingModelChanges(), "the model changed: add a migration with dotnet ef");
        Assert.Empty(await db.Database.GetPendingMigrationsAsync(store.Ct));
    }

    private static async Task<List<string>> AppliedMigrationsAsync(TestStore store)
    {
        var contexts = store.Services.GetRequiredService<IDbContextFactory<BerthDbContext>>();
        await using var db = await contexts.CreateDbContextAsync(store.Ct);
        return (await db.Database.GetAppliedMigrationsAsync(store.Ct)).ToList();
    }
}
