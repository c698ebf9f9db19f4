using Microsoft.Extensions.DependencyInjection;

namespace Berth.Core.Commands;

public static class CommandServiceCollectionExtensions
{
    /// <summary>The command services; the host adds an <see cref="Persistence.ICommandStore"/>, an <see cref="Engine.IContainerExec"/> and runs <see cref="CommandWorker"/>.</summary>
    public static IServiceCollection AddBerthCommands(this IServiceCollection services)
    {
        services.AddSingleton<CommandQueue>();
        services.AddSingleton<CommandRuns>();
        services.AddSingleton<CommandFeeds>();
        services.AddSingleton<CommandRunner>();
        services.AddSingleton<CommandWorker>();
        services.AddSingleton<CommandService>();
        return services;
    }
}
