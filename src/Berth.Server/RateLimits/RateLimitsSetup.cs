using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Berth.Core.Errors;
using Berth.Server.Accounts;
using Berth.Server.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Berth.Server.RateLimits;

/// <summary>
/// ASP.NET Core's rate limiter, configured from <see cref="RateLimitOptions"/>:
/// <list type="bullet">
/// <item>every request passes a token bucket of its credential (<see cref="Core.Accounts.Caller.TokenId"/>,
/// whatever kind of credential made the caller) or, without a valid one, of its source address;</item>
/// <item>login endpoints add a fixed window per source address (<see cref="LoginRateLimitPolicy"/>);</item>
/// <item>long-lived streams add a concurrency cap per user (<see cref="LongLivedStreams"/>).</item>
/// </list>
/// Every refusal is 429 <c>RATE_LIMITED</c> in the error envelope, with <c>Retry-After</c> when the
/// limiter knows when a retry can succeed.
/// </summary>
internal static class RateLimitsSetup
{
    // The partitioned limiter replenishes its buckets itself; a timer per bucket would cost more.
    private static readonly TimeSpan s_period = TimeSpan.FromSeconds(1);
    private static readonly RateLimiter s_noLimiter = RateLimitPartition.GetNoLimiter(0).Factory(0);

    public static IHostApplicationBuilder AddBerthRateLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>()
            .BindConfiguration(RateLimitOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidator>();
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((o, limits) => Configure(o, limits.Value));
        return builder;
    }

    /// <summary>After authentication, so that a request is counted against its credential when it has one.</summary>
    public static WebApplication UseBerthRateLimits(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }

    private static void Configure(RateLimiterOptions options, RateLimitOptions limits)
    {
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.OnRejected = (context, _) => new ValueTask(RejectAsync(context.HttpContext, context.Lease, "Too many requests"));
        // Null when both limits are off: then ordinary requests skip the limiter entirely.
        options.GlobalLimiter = limits.CredentialLimited || limits.AddressLimited ? CreateGlobalLimiter(limits) : null;
        options.AddPolicy(LoginRateLimitPolicy.Name, new LoginRateLimitPolicy(limits));
        options.AddPolicy(LongLivedStreams.PolicyName, new LongLivedStreamPolicy(limits));
    }

    private static PartitionedRateLimiter<HttpContext> CreateGlobalLimiter(RateLimitOptions limits)
    {
        var perCredential = Bucket(limits.CredentialRate, limits.CredentialBurst);
        var perAddress = Bucket(limits.AddressRate, limits.AddressBurst);
        // Made once: a partition is looked up on every request, and must not allocate its factory each time.
        Func<ClientKey, RateLimiter> credentialLimiter = limits.CredentialLimited
            ? _ => new TokenBucketRateLimiter(perCredential)
            : _ => s_noLimiter;
        Func<ClientKey, RateLimiter> addressLimiter = limits.AddressLimited
            ? _ => new TokenBucketRateLimiter(perAddress)
            : _ => s_noLimiter;
        return PartitionedRateLimiter.Create<HttpContext, ClientKey>(http =>
            http.Features.Get<CallerFeature>() is { } feature
                ? new RateLimitPartition<ClientKey>(new ClientKey(feature.Caller.TokenId ?? feature.Caller.UserId, null), credentialLimiter)
                : new RateLimitPartition<ClientKey>(new ClientKey(Guid.Empty, ClientAddress.Of(http)), addressLimiter));
    }

    private static TokenBucketRateLimiterOptions Bucket(int rate, int burst) => new()
    {
        TokenLimit = Math.Max(burst, 1),
        TokensPerPeriod = Math.Max(rate, 1),
        ReplenishmentPeriod = s_period,
        AutoReplenishment = false,
        QueueLimit = 0,
    };

    /// <summary>429 <c>RATE_LIMITED</c>, with <c>Retry-After</c> and <c>details.retry_after</c> when the lease tells when.</summary>
    public static Task RejectAsync(HttpContext http, RateLimitLease lease, string message, IReadOnlyDictionary<string, object?>? details = null)
    {
        var all = new Dictionary<string, object?>(details ?? new Dictionary<string, object?>());
        if (lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            all["retry_after"] = seconds;
            message = $"{message}; retry in {seconds} s";
        }
        return http.WriteErrorAsync(StatusCodes.Status429TooManyRequests, Envelope.Error(BerthError.RateLimited, message, all));
    }

    /// <summary>A credential (Address null) or, for a request without one, a source address.</summary>
    private readonly record struct ClientKey(Guid Credential, IPAddress? Address);
}
