using Berth.Core.Accounts;
using Berth.Core.Accounts.Passwords;
using Berth.Server.Accounts.Jwt;
using Microsoft.AspNetCore.Authorization;

namespace Berth.Server.Accounts;

internal static class AccountsSetup
{
    public const string AdminPolicy = "admin";

    public static IHostApplicationBuilder AddBerthAuthentication(this IHostApplicationBuilder builder)
    {
        // Policies name no scheme: they read the user the default scheme made once per request.
        builder.Services.AddAuthentication(AuthSchemes.Berth).AddBerthSchemes();
        builder.Services.AddAuthorizationBuilder()
            // Every endpoint needs a credential unless it says AllowAnonymous.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            // An admin user's credential acts as admin only when it also holds the admin scope.
            .AddPolicy(AdminPolicy, p => p
                .RequireAuthenticatedUser()
                .RequireClaim(BerthClaims.Role, BerthClaims.AdminRole)
                .AddRequirements(new ScopeRequirement(Scopes.Admin)));
        builder.Services.AddSingleton<IAuthorizationHandler, ScopeAuthorizationHandler>();
        builder.Services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, ScopeAwareResultHandler>();
        builder.AddBerthJwt();
        return builder;
    }

    public static IHostApplicationBuilder AddBerthAccounts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TokenCache>();
        builder.Services.AddOptions<PasswordPolicyOptions>().BindConfiguration(PasswordPolicyOptions.Section)
            .Validate(o => o.MinimumLength is >= 8 and <= PasswordPolicyOptions.MaximumLength, "Berth:Passwords:MinimumLength must be from 8 to 256.")
            .Validate(o => o.LockoutAttempts >= 1, "Berth:Passwords:LockoutAttempts must be 1 or more.")
            .Validate(o => o.LockoutDuration > TimeSpan.Zero, "Berth:Passwords:LockoutDuration must be positive.")
            .ValidateOnStart();
        builder.Services.AddBerthPasswords();
        builder.Services.AddSingleton<AccessRevocations>();
        builder.Services.AddScoped<AccountService>();
        builder.Services.AddSingleton<SessionCache>();
        builder.Services.AddSingleton<SessionService>();
        builder.Services.AddOptions<SessionLifetimeOptions>()
            .BindConfiguration(SessionLifetimeOptions.Section)
            .Validate(o => o.IdleTimeout > TimeSpan.Zero && o.AbsoluteTimeout > TimeSpan.Zero,
                "Berth:Sessions:IdleTimeout and Berth:Sessions:AbsoluteTimeout must be positive.")
            .ValidateOnStart();
        return builder;
    }

    /// <summary>The authenticated caller of an endpoint that requires authentication.</summary>
    public static Caller GetCaller(this HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true && context.Features.Get<CallerFeature>() is { } feature
            ? feature.Caller
            : throw new InvalidOperationException("GetCaller was called on a request that is not authenticated.");
}
