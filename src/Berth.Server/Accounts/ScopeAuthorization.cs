using Berth.Core.Accounts;
using Berth.Core.Errors;
using Berth.Server.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Berth.Server.Accounts;

/// <summary>The endpoint needs a token holding <see cref="Scope"/>.</summary>
internal sealed record ScopeRequirement(Scopes Scope) : IAuthorizationRequirement;

/// <summary>Endpoint metadata naming the scope a route needs, so that a test can check every route has one.</summary>
internal sealed record RequiredScope(Scopes Scope);

internal sealed class ScopeAuthorizationHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        // The caller was made once at authentication; reading its flags is cheaper than scanning claims.
        if (context.Resource is HttpContext http && http.Features.Get<CallerFeature>() is { } feature
            && feature.Caller.Scopes.HasFlag(requirement.Scope))
        {
            context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// Answers a refusal caused only by a missing scope with a message naming the scope; every other
/// refusal (no token, not an admin) keeps the authentication handler's answer.
/// </summary>
internal sealed class ScopeAwareResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var failed = authorizeResult.AuthorizationFailure?.FailedRequirements.ToList();
        if (authorizeResult.Forbidden && failed is { Count: > 0 } && failed.All(r => r is ScopeRequirement))
        {
            var name = TokenScopes.Name(((ScopeRequirement)failed[0]).Scope);
            return context.WriteErrorAsync(StatusCodes.Status403Forbidden, Envelope.Error(
                BerthError.InsufficientPermissions,
                $"This token lacks the '{name}' scope",
                new Dictionary<string, object?> { ["required_scope"] = name }));
        }
        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}

internal static class ScopeEndpointExtensions
{
    /// <summary>Only tokens holding <paramref name="scope"/> may call the endpoint (or every endpoint of the group).</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, Scopes scope)
        where TBuilder : IEndpointConventionBuilder
    {
        var policy = new AuthorizationPolicyBuilder()
            .RequireAuthenticatedUser()
            .AddRequirements(new ScopeRequirement(scope))
            .Build();
        return builder.RequireAuthorization(policy).WithMetadata(new RequiredScope(scope));
    }
}
