using Berth.Core.Metrics;
using Microsoft.Extensions.Options;

namespace Berth.Server.Metrics;

internal static class MetricsSetup
{
    /// <summary>The background sampler behind <c>GET /api/v1/containers/{id}/metrics</c> and <c>/metrics</c>.</summary>
    public static IHostApplicationBuilder AddBerthMetrics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MetricsOptions>()
            .BindConfiguration(MetricsOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>();
        builder.Services.AddSingleton<MetricsSampler>();
        builder.Services.AddHostedService<MetricsSamplerService>();
        return builder;
    }
}

/// <summary>Runs the sampler for the life of the server.</summary>
internal sealed class MetricsSamplerService(MetricsSampler sampler) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => sampler.RunAsync(stoppingToken);
}

internal sealed class MetricsOptionsValidator : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        var failures = new List<string>();
        if (options.SampleInterval <= TimeSpan.Zero)
        {
            failures.Add("Berth:Metrics:SampleInterval must be positive.");
        }
        if (options.DiskSampleInterval <= TimeSpan.Zero)
        {
            failures.Add("Berth:Metrics:DiskSampleInterval must be positive.");
        }
        if (options.MaxParallelism < 1)
        {
            failures.Add("Berth:Metrics:MaxParallelism must be at least 1.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
