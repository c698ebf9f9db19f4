using Berth.Core;
using Microsoft.Extensions.Options;

namespace Berth.Server.Hosting;

/// <summary>Brings the store's schema up to date before the server takes requests.</summary>
internal delegate Task MigrateStore(IServiceProvider services, CancellationToken cancellationToken);

internal static class Storage
{
    public const string DatabaseFileName = "berth.db";

    /// <summary>The one place the store is chosen.</summary>
    public static IHostApplicationBuilder AddBerthStorage(this IHostApplicationBuilder builder)
    {
        // wired when Berth.Data / Berth.Docker land:
        // builder.Services.AddSqliteStore(sp => DatabasePath(sp));
        // builder.Services.AddSingleton<MigrateStore>((services, ct) => services.MigrateStoreAsync(ct));
        builder.Services.AddTemporaryInMemoryStores();
        builder.Services.AddSingleton<MigrateStore>((_, _) => Task.CompletedTask);
        return builder;
    }

    /// <summary>The engine that runs workloads. /readyz reports not-ready while none is registered.</summary>
    public static IHostApplicationBuilder AddBerthEngine(this IHostApplicationBuilder builder)
    {
        // wired when Berth.Data / Berth.Docker land:
        // builder.Services.AddDockerEngine(_ => { });
        return builder;
    }

    public static string DatabasePath(IServiceProvider services) =>
        Path.Combine(services.GetRequiredService<IOptions<BerthOptions>>().Value.DataDirectory, DatabaseFileName);
}
