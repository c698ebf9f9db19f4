using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Berth.Server.RateLimits;

/// <summary>
/// The stricter limit of endpoints that check a password or a secret (login, token exchange): a fixed
/// window of <see cref="RateLimitOptions.LoginAttempts"/> per source address, counted whether the
/// attempt succeeds or not, so that guessing stays slow however many accounts are tried. It comes on
/// top of the global per-address bucket. Apply it with
/// <see cref="LoginRateLimitExtensions.RequireLoginRateLimit{TBuilder}"/>.
/// </summary>
internal sealed class LoginRateLimitPolicy(RateLimitOptions limits) : IRateLimiterPolicy<IPAddress>
{
    public const string Name = "login";

    private readonly Func<IPAddress, RateLimiter> _create = limits.LoginAttempts > 0
        ? _ => new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
        {
            PermitLimit = limits.LoginAttempts,
            Window = limits.LoginWindow,
            QueueLimit = 0,
            // The partitioned limiter moves the windows on; no timer per address.
            AutoReplenishment = false,
        })
        : key => RateLimitPartition.GetNoLimiter(key).Factory(key);

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } =
        (context, _) => new ValueTask(RateLimitsSetup.RejectAsync(context.HttpContext, context.Lease, "Too many login attempts from this address"));

    public RateLimitPartition<IPAddress> GetPartition(HttpContext httpContext) =>
        new(ClientAddress.Of(httpContext), _create);
}

internal static class LoginRateLimitExtensions
{
    /// <summary>
    /// Puts the endpoint under the login limit (<c>Berth:RateLimits:LoginAttempts</c> per
    /// <c>Berth:RateLimits:LoginWindow</c> and source address), for every endpoint that takes a password
    /// or another guessable secret: <c>POST /api/v1/auth/login</c>, <c>POST /api/v1/auth/token</c>, the
    /// OAuth token endpoint. A refused attempt is 429 <c>RATE_LIMITED</c> with <c>Retry-After</c>.
    /// </summary>
    public static TBuilder RequireLoginRateLimit<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireRateLimiting(LoginRateLimitPolicy.Name);
}
