using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests.RateLimits;

/// <summary>A <see cref="BerthServer"/> with request limits small enough to reach in a test: 10 at once, then 1 a second.</summary>
public sealed class RequestLimitedServer : IAsyncLifetime
{
    public const int CredentialBurst = 10;
    public const int AddressBurst = 3;

    public BerthServer Server { get; } = new(null, null, new Dictionary<string, string?>
    {
        ["Berth:RateLimits:CredentialRate"] = "1",
        ["Berth:RateLimits:CredentialBurst"] = CredentialBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Berth:RateLimits:AddressRate"] = "1",
        ["Berth:RateLimits:AddressBurst"] = AddressBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>A <see cref="BerthServer"/> on which each user may hold two long-lived streams.</summary>
public sealed class StreamLimitedServer : IAsyncLifetime
{
    public const int StreamsPerUser = 2;

    public BerthServer Server { get; } = new(null, null, new Dictionary<string, string?>
    {
        ["Berth:RateLimits:StreamsPerUser"] = StreamsPerUser.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
