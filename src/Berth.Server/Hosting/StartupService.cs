using Berth.Core;
using Berth.Core.Accounts;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Berth.Server.Hosting;

internal static class StartupSetup
{
    public static IHostApplicationBuilder AddBerthStartup(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<StartupService>();
        return builder;
    }
}

/// <summary>
/// Prepares the data directory and the store before requests are served, and makes sure an admin
/// exists. A generated admin token is written to standard output once and never to a log.
/// </summary>
internal sealed partial class StartupService(
    IServiceProvider services,
    IOptions<BerthOptions> options,
    MigrateStore migrateStore,
    IHostApplicationLifetime lifetime,
    ILogger<StartupService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var berth = options.Value;
        Directory.CreateDirectory(berth.DataDirectory);
        DataDirectoryReady(logger, berth.DataDirectory);

        await migrateStore(services, cancellationToken);

        string? generatedToken;
        await using (var scope = services.CreateAsyncScope())
        {
            var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
            generatedToken = await accounts.EnsureBootstrapAdminAsync(berth.BootstrapAdminToken, cancellationToken);
        }

        // Addresses are known only once the server listens, which is after hosted services start.
        lifetime.ApplicationStarted.Register(() => Announce(generatedToken));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Announce(string? generatedToken)
    {
        var addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses;
        foreach (var address in addresses ?? [])
        {
            Console.Out.WriteLine($"Berth is listening on {address}");
        }
        if (generatedToken is not null)
        {
            Console.Out.WriteLine($"Admin token: {generatedToken}");
            Console.Out.WriteLine("Store it now: it is shown only this once.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Data directory: {DataDirectory}")]
    private static partial void DataDirectoryReady(ILogger logger, string dataDirectory);
}
