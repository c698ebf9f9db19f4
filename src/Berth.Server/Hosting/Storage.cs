using Berth.Core;
using Berth.Core.Persistence;
using Berth.Data;
using Berth.Docker;
using Microsoft.Extensions.Options;

namespace Berth.Server.Hosting;

/// <summary>Brings the store's schema up to date before the server takes requests.</summary>
internal delegate Task MigrateStore(IServiceProvider services, CancellationToken cancellationToken);

internal static class Storage
{
    /// <summary>The one place the store is chosen: SQLite in the data directory, live containers cached in memory.</summary>
    public static IHostApplicationBuilder AddBerthStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSqliteStore(sp =>
            SqliteStoreServiceCollectionExtensions.DatabasePathIn(sp.GetRequiredService<IOptions<BerthOptions>>().Value.DataDirectory));
        builder.Services.Decorate<IContainerStore>((sp, inner) => new CachingContainerStore(inner, sp.GetRequiredService<ContainerChangeSignal>()));
        builder.Services.AddSingleton<MigrateStore>((services, ct) => services.MigrateStoreAsync(ct));
        return builder;
    }

    /// <summary>The engine that runs workloads: the Docker host of <c>Berth:Docker:Endpoint</c>.</summary>
    public static IHostApplicationBuilder AddBerthEngine(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<InstanceIdentity>();
        builder.Services.AddDockerEngine(_ => { });
        // Berth:Docker:InstanceId overrides the stored id (the bench runs several servers on one engine).
        builder.Services.AddOptions<DockerEngineOptions>()
            .Configure<InstanceIdentity, IConfiguration>((options, identity, configuration) =>
                options.InstanceId = configuration["Berth:Docker:InstanceId"] is { Length: > 0 } configured ? configured : identity.Id);
        return builder;
    }

    /// <summary>Wraps the registered <typeparamref name="TService"/> (a singleton) in a decorator.</summary>
    private static void Decorate<TService>(this IServiceCollection services, Func<IServiceProvider, TService, TService> decorate)
        where TService : class
    {
        var registered = services.Last(d => d.ServiceType == typeof(TService));
        services.Remove(registered);
        services.AddSingleton(sp => decorate(sp, (TService)(registered.ImplementationInstance
            ?? registered.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!))));
    }
}
