using Berth.Core.Accounts;
using Berth.Core.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Berth.Data;

public static class SqliteStoreServiceCollectionExtensions
{
    /// <summary>The database file inside Berth's data directory.</summary>
    public static string DatabasePathIn(string dataDirectory) => Path.Combine(dataDirectory, SqliteSetup.FileName);

    /// <summary>
    /// Registers the SQLite stores (<see cref="IContainerStore"/>, <see cref="IIdempotencyStore"/>,
    /// <see cref="IAccountStore"/>, <see cref="ISessionStore"/>, <see cref="ICommandStore"/>, ...) as thread-safe singletons over a pool of short-lived contexts.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="databasePath">The database file, usually <see cref="DatabasePathIn"/> of the data directory.</param>
    public static IServiceCollection AddSqliteStore(this IServiceCollection services, Func<IServiceProvider, string> databasePath)
    {
        ArgumentNullException.ThrowIfNull(databasePath);
        services.AddPooledDbContextFactory<BerthDbContext>((sp, options) => SqliteSetup.Configure(options, databasePath(sp)));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IContainerStore, SqliteContainerStore>();
        services.AddSingleton<IAccountStore, SqliteAccountStore>();
        services.AddSingleton<ISessionStore, SqliteSessionStore>();
        services.AddSingleton<IRefreshTokenStore, SqliteRefreshTokenStore>();
        services.AddSingleton<IIdempotencyStore, SqliteIdempotencyStore>();
        services.AddSingleton<ICommandStore, SqliteCommandStore>();
        services.AddSingleton<Berth.Core.Deployments.IDeploymentStore, SqliteDeploymentStore>();
        services.AddSingleton<Berth.Core.Projects.IProjectStore, SqliteProjectStore>();
        services.AddSingleton<Berth.Core.Audit.IAuditStore, SqliteAuditStore>();
        // Needs an ISecretProtector from the host: secrets are never stored without one.
        services.AddSingleton<ConfigCodec>();
        return services;
    }

    /// <summary>
    /// Creates the database file (and its directory) when missing, switches it to WAL and applies every
    /// pending migration. Safe to run on every start.
    /// </summary>
    public static async Task MigrateStoreAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        var contexts = services.GetRequiredService<IDbContextFactory<BerthDbContext>>();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var dataSource = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
        var directory = Path.GetDirectoryName(Path.GetFullPath(dataSource));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        // WAL lets readers run beside the one writer; the mode is stored in the file, so once is enough.
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
    }
}
