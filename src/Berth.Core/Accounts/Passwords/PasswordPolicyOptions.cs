using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Berth.Core.Accounts.Passwords;

/// <summary>The <c>Berth:Passwords</c> section: what a password must be, and when repeated failures lock an account.</summary>
public sealed class PasswordPolicyOptions
{
    public const string Section = "Berth:Passwords";

    /// <summary>Length is what makes a password hard to guess; no character classes are demanded (NIST SP 800-63B).</summary>
    public int MinimumLength { get; set; } = 10;

    /// <summary>Failed attempts in a row that lock the account.</summary>
    public int LockoutAttempts { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longer passwords are refused rather than hashed, so that no request buys unbounded hashing.</summary>
    public const int MaximumLength = 256;
}

public static class PasswordServiceCollectionExtensions
{
    /// <summary>ASP.NET Core Identity's hashing, validation and lockout over Berth's account store.</summary>
    public static IServiceCollection AddBerthPasswords(this IServiceCollection services)
    {
        services.AddIdentityCore<PasswordAccount>().AddUserStore<PasswordAccountStore>();
        services.AddOptions<IdentityOptions>().Configure<IOptions<PasswordPolicyOptions>>((identity, options) =>
            Apply(identity, options.Value));
        return services;
    }

    internal static void Apply(IdentityOptions identity, PasswordPolicyOptions options)
    {
        identity.Password.RequiredLength = options.MinimumLength;
        identity.Password.RequireDigit = false;
        identity.Password.RequireLowercase = false;
        identity.Password.RequireUppercase = false;
        identity.Password.RequireNonAlphanumeric = false;
        identity.Password.RequiredUniqueChars = 1;
        identity.Lockout.MaxFailedAccessAttempts = options.LockoutAttempts;
        identity.Lockout.DefaultLockoutTimeSpan = options.LockoutDuration;
        identity.Lockout.AllowedForNewUsers = true;
        // Names are emails, validated by the account service; Identity need not judge their characters.
        identity.User.AllowedUserNameCharacters = "";
    }
}
