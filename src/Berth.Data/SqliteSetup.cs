using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Berth.Data;

internal static class SqliteSetup
{
    /// <summary>How long a writer waits for another writer's lock inside SQLite before it reports busy.</summary>
    public const int BusyTimeoutMilliseconds = 5_000;

    public const string FileName = "berth.db";

    public static string ConnectionString(string databasePath) => new SqliteConnectionStringBuilder
    {
        DataSource = databasePath,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        ForeignKeys = true,
    }.ToString();

    public static void Configure(DbContextOptionsBuilder options, string databasePath)
    {
        options.UseSqlite(ConnectionString(databasePath))
            .UseQueryTrackingBehavior(QueryTrackingBehavior.NoTracking)
            .AddInterceptors(BusyTimeoutInterceptor.Instance)
            // A line per command at Information would flood the host's log at thousands of reads a second.
            .ConfigureWarnings(w => w.Log((RelationalEventId.CommandExecuted, LogLevel.Debug)));
    }

    /// <summary>
    /// Sets SQLite's own busy handler on every connection: it waits for a lock in fine steps, where the
    /// provider's retry loop alone would sleep in coarse ones. A pooled connection keeps the setting,
    /// and setting it again costs no SQL round trip.
    /// </summary>
    private sealed class BusyTimeoutInterceptor : DbConnectionInterceptor
    {
        public static readonly BusyTimeoutInterceptor Instance = new();

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) =>
            Apply(connection);

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Apply(connection);
            return Task.CompletedTask;
        }

        private static void Apply(DbConnection connection)
        {
            if (connection is SqliteConnection { Handle: { } handle })
            {
                SQLitePCL.raw.sqlite3_busy_timeout(handle, BusyTimeoutMilliseconds);
            }
        }
    }
}
