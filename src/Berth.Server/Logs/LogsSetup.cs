using Berth.Core.Logs;
using Microsoft.Extensions.Options;

namespace Berth.Server.Logs;

internal static class LogsSetup
{
    /// <summary>Container logs: the collector that stores every replica's output, and the reading service.</summary>
    public static IHostApplicationBuilder AddBerthLogs(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LogsOptions>()
            .BindConfiguration(LogsOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LogsOptions>, LogsOptionsValidator>();
        builder.Services.AddSingleton<LogStore>();
        builder.Services.AddSingleton<LogHub>();
        builder.Services.AddSingleton<LogService>();
        builder.Services.AddSingleton<LogCollector>();
        builder.Services.AddHostedService<LogCollectorService>();
        return builder;
    }
}

/// <summary>Runs the log collector for the life of the server.</summary>
internal sealed class LogCollectorService(LogCollector collector) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => collector.RunAsync(stoppingToken);
}

internal sealed class LogsOptionsValidator : IValidateOptions<LogsOptions>
{
    private const long MinBytesPerReplica = 64 * 1024;

    public ValidateOptionsResult Validate(string? name, LogsOptions options)
    {
        var failures = new List<string>();
        Positive(nameof(options.Retention), options.Retention);
        Positive(nameof(options.ScanInterval), options.ScanInterval);
        Positive(nameof(options.SweepInterval), options.SweepInterval);
        if (options.MaxBytesPerReplica < MinBytesPerReplica)
        {
            failures.Add($"Berth:Logs:MaxBytesPerReplica must be at least {MinBytesPerReplica} bytes.");
        }
        if (options.FollowerBuffer < 1)
        {
            failures.Add("Berth:Logs:FollowerBuffer must be at least 1.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Positive(string key, TimeSpan value)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"Berth:Logs:{key} must be positive.");
            }
        }
    }
}
