using Berth.Core.Accounts;
using Microsoft.AspNetCore.Authorization;

namespace Berth.Server.Accounts;

internal static class AccountsSetup
{
    public const string AdminPolicy = "admin";

    public static IHostApplicationBuilder AddBerthAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            // Every endpoint needs a token unless it says AllowAnonymous.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(BearerTokenHandler.SchemeName).RequireAuthenticatedUser().Build())
            // An admin user's token acts as admin only when it also holds the admin scope.
            .AddPolicy(AdminPolicy, p => p.AddAuthenticationSchemes(BearerTokenHandler.SchemeName)
                .RequireAuthenticatedUser()
                .RequireClaim(BerthClaims.Role, BerthClaims.AdminRole)
                .AddRequirements(new ScopeRequirement(Scopes.Admin)));
        builder.Services.AddSingleton<IAuthorizationHandler, ScopeAuthorizationHandler>();
        builder.Services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, ScopeAwareResultHandler>();
        return builder;
    }

    public static IHostApplicationBuilder AddBerthAccounts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TokenCache>();
        builder.Services.AddSingleton<AccessRevocations>();
        builder.Services.AddScoped<AccountService>();
        return builder;
    }

    /// <summary>The authenticated caller of an endpoint that requires authentication.</summary>
    public static Caller GetCaller(this HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true && context.Features.Get<CallerFeature>() is { } feature
            ? feature.Caller
            : throw new InvalidOperationException("GetCaller was called on a request that is not authenticated.");
}
