using Berth.Core.Commands;
using Microsoft.Extensions.Options;

namespace Berth.Server.Commands;

internal static class CommandsSetup
{
    public static IHostApplicationBuilder AddBerthCommands(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CommandOptions>()
            .BindConfiguration(CommandOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<CommandOptions>, CommandOptionsValidator>();
        builder.Services.AddBerthCommands();
        builder.Services.AddHostedService<CommandWorkerService>();
        return builder;
    }
}

/// <summary>Runs the command worker for the life of the server; on shutdown, running commands are killed and recorded.</summary>
internal sealed class CommandWorkerService(CommandWorker worker, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The store is migrated by a hosted service that may start after this one; the host has started once all have.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            try
            {
                await started.Task.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
        await worker.RunAsync(stoppingToken);
    }
}

internal sealed class CommandOptionsValidator : IValidateOptions<CommandOptions>
{
    public ValidateOptionsResult Validate(string? name, CommandOptions options)
    {
        var failures = new List<string>();
        if (options.MaxConcurrent < 1)
        {
            failures.Add("Berth:Commands:MaxConcurrent must be at least 1.");
        }
        if (options.DefaultTimeoutSeconds is < 1 or > CommandOptions.MaxTimeoutSeconds)
        {
            failures.Add($"Berth:Commands:DefaultTimeoutSeconds must be from 1 to {CommandOptions.MaxTimeoutSeconds}.");
        }
        if (options.MaxOutputBytes < 1)
        {
            failures.Add("Berth:Commands:MaxOutputBytes must be at least 1.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
