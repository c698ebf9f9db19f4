using Microsoft.Extensions.Options;

namespace Berth.Server.RateLimits;

/// <summary>
/// The <c>Berth:RateLimits</c> section. The defaults are meant to stay out of the way of a team's
/// scripts, dashboards and CI while still stopping a runaway loop or a password guesser; 0 turns a
/// limit off.
/// </summary>
internal sealed class RateLimitOptions
{
    public const string Section = "Berth:RateLimits";

    /// <summary>Requests per second one credential (token, session) may make over time.</summary>
    public int CredentialRate { get; set; } = 50;

    /// <summary>Requests one credential may make at once before <see cref="CredentialRate"/> applies.</summary>
    public int CredentialBurst { get; set; } = 500;

    /// <summary>Requests per second one source address may make without a valid credential.</summary>
    public int AddressRate { get; set; } = 10;

    /// <summary>Requests one source address may make at once without a valid credential.</summary>
    public int AddressBurst { get; set; } = 100;

    /// <summary>Login attempts one source address may make per <see cref="LoginWindow"/>.</summary>
    public int LoginAttempts { get; set; } = 10;

    public TimeSpan LoginWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Long-lived streams (log follows, event streams, terminals, command streams) one user may hold open.</summary>
    public int StreamsPerUser { get; set; } = 20;

    public bool CredentialLimited => CredentialRate > 0 && CredentialBurst > 0;

    public bool AddressLimited => AddressRate > 0 && AddressBurst > 0;
}

internal sealed class RateLimitOptionsValidator : IValidateOptions<RateLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        var failures = new List<string>();
        NotNegative(nameof(options.CredentialRate), options.CredentialRate);
        NotNegative(nameof(options.CredentialBurst), options.CredentialBurst);
        NotNegative(nameof(options.AddressRate), options.AddressRate);
        NotNegative(nameof(options.AddressBurst), options.AddressBurst);
        NotNegative(nameof(options.LoginAttempts), options.LoginAttempts);
        NotNegative(nameof(options.StreamsPerUser), options.StreamsPerUser);
        if (options.LoginAttempts > 0 && options.LoginWindow <= TimeSpan.Zero)
        {
            failures.Add($"{RateLimitOptions.Section}:LoginWindow must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void NotNegative(string key, int value)
        {
            if (value < 0)
            {
                failures.Add($"{RateLimitOptions.Section}:{key} must be 0 (off) or more.");
            }
        }
    }
}
