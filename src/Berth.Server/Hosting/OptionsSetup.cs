using Berth.Core;
using Berth.Core.Accounts;
using Microsoft.Extensions.Options;

namespace Berth.Server.Hosting;

internal static class OptionsSetup
{
    public static IHostApplicationBuilder AddBerthOptions(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<BerthOptions>()
            .BindConfiguration(BerthOptions.Section)
            .PostConfigure(o =>
            {
                if (!string.IsNullOrWhiteSpace(o.DataDirectory))
                {
                    o.DataDirectory = Path.GetFullPath(o.DataDirectory);
                }
            })
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<BerthOptions>, BerthOptionsValidator>();

        builder.Services.AddOptions<LifecycleOptions>()
            .BindConfiguration(LifecycleOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LifecycleOptions>, LifecycleOptionsValidator>();

        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }
}

internal sealed class BerthOptionsValidator : IValidateOptions<BerthOptions>
{
    public ValidateOptionsResult Validate(string? name, BerthOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add("Berth:DataDirectory is required.");
        }
        if (options.BootstrapAdminToken is { Length: > 0 } token && !TokenHasher.HasTokenShape(token))
        {
            failures.Add($"Berth:BootstrapAdminToken must start with '{TokenHasher.Prefix}' and contain no spaces.");
        }
        if (string.IsNullOrWhiteSpace(options.DefaultImage))
        {
            failures.Add("Berth:DefaultImage is required.");
        }
        if (string.IsNullOrWhiteSpace(options.EnvironmentId))
        {
            failures.Add("Berth:EnvironmentId is required.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class LifecycleOptionsValidator : IValidateOptions<LifecycleOptions>
{
    public ValidateOptionsResult Validate(string? name, LifecycleOptions options)
    {
        var failures = new List<string>();
        Positive(nameof(options.ConfirmTimeout), options.ConfirmTimeout);
        Positive(nameof(options.ConfirmPollInterval), options.ConfirmPollInterval);
        Positive(nameof(options.ResyncInterval), options.ResyncInterval);
        if (options.StopGracePeriod < TimeSpan.Zero)
        {
            failures.Add("Berth:Lifecycle:StopGracePeriod must not be negative.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Positive(string key, TimeSpan value)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"Berth:Lifecycle:{key} must be positive.");
            }
        }
    }
}
