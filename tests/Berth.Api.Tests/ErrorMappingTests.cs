using System.Net;
using System.Net.Http.Headers;
using Berth.Api.Tests.Infrastructure;
using Berth.Core.Accounts;
using Berth.Core.Engine;
using Berth.Core.Persistence;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Berth.Api.Tests;

/// <summary>How the host answers failures it did not expect: store faults and an unreachable engine.</summary>
public sealed class ErrorMappingTests(BerthServer server) : IClassFixture<BerthServer>
{
    [Fact]
    public async Task UnexpectedException_Returns500WithoutLeakingDetails()
    {
        await using var faulty = server.WithWebHostBuilder(b => b.ConfigureTestServices(DecorateAccountStore));
        using var admin = faulty.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);

        var response = await admin.GetAsync("/api/v1/users");

        var error = await response.AssertErrorAsync(HttpStatusCode.InternalServerError, "INTERNAL_SERVER_ERROR");
        Assert.Equal("An unexpected error occurred", error.GetProperty("message").GetString());
        Assert.DoesNotContain(ListFailsStore.Secret, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_EnginePingFails_Returns503NamingTheEngine()
    {
        await using var unreachable = server.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
            s.Replace(ServiceDescriptor.Singleton<IContainerEngine>(new UnreachableEngine()))));
        using var client = unreachable.CreateClient(new WebApplicationFactoryClientOptions());

        var json = await (await client.GetAsync("/readyz")).ReadJsonAsync(HttpStatusCode.ServiceUnavailable);

        Assert.Equal("not_ready", json.GetProperty("status").GetString());
        Assert.Equal(UnreachableEngine.Message, json.GetProperty("checks").GetProperty("engine").GetString());
        Assert.Equal("ok", json.GetProperty("checks").GetProperty("store").GetString());
    }

    /// <summary>Wraps whatever store the server registered, keeping its lifetime.</summary>
    private static void DecorateAccountStore(IServiceCollection services)
    {
        var original = services.Last(d => d.ServiceType == typeof(IAccountStore));
        services.Add(ServiceDescriptor.Describe(typeof(IAccountStore), sp => new ListFailsStore((IAccountStore)(
            original.ImplementationInstance
            ?? original.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, original.ImplementationType!))), original.Lifetime));
    }

    /// <summary>A working store whose user list fails with a message that must not reach the client.</summary>
    private sealed class ListFailsStore(IAccountStore inner) : IAccountStore
    {
        public const string Secret = "connection string with a password";
        private readonly IAccountStore _inner = inner;

        public Task<User?> FindUserAsync(Guid id, CancellationToken ct) => _inner.FindUserAsync(id, ct);
        public Task<User?> FindUserByEmailAsync(string email, CancellationToken ct) => _inner.FindUserByEmailAsync(email, ct);
        public Task<Page<User>> ListUsersAsync(int pageNumber, int limit, CancellationToken ct) => throw new InvalidOperationException(Secret);
        public Task AddUserAsync(User user, CancellationToken ct) => _inner.AddUserAsync(user, ct);
        public Task UpdateUserAsync(User user, CancellationToken ct) => _inner.UpdateUserAsync(user, ct);
        public Task<Core.Accounts.Passwords.PasswordAccount?> FindPasswordAccountAsync(Guid userId, CancellationToken ct) => _inner.FindPasswordAccountAsync(userId, ct);
        public Task SavePasswordAccountAsync(Core.Accounts.Passwords.PasswordAccount account, CancellationToken ct) => _inner.SavePasswordAccountAsync(account, ct);
        public Task AddTokenAsync(AccessToken token, CancellationToken ct) => _inner.AddTokenAsync(token, ct);
        public Task<AccessToken?> FindTokenByHashAsync(string tokenHash, CancellationToken ct) => _inner.FindTokenByHashAsync(tokenHash, ct);
        public Task<IReadOnlyList<AccessToken>> ListTokensAsync(Guid userId, CancellationToken ct) => _inner.ListTokensAsync(userId, ct);
        public Task<bool> RevokeTokenAsync(Guid userId, Guid tokenId, DateTimeOffset at, CancellationToken ct) => _inner.RevokeTokenAsync(userId, tokenId, at, ct);
    }

    /// <summary>Stands in for an engine that cannot be reached; only the ping is ever called.</summary>
    private sealed class UnreachableEngine : IContainerEngine
    {
        public const string Message = "Docker engine is not reachable";

        public Task PingAsync(CancellationToken cancellationToken) => throw new EngineUnavailableException(Message);
        public Task<WorkloadObservation> ApplyAsync(WorkloadSpec spec, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<WorkloadObservation> StartAsync(Guid containerId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<WorkloadObservation> StopAsync(Guid containerId, TimeSpan grace, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<WorkloadObservation> KillAsync(Guid containerId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<WorkloadObservation> PauseAsync(Guid containerId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<WorkloadObservation> UnpauseAsync(Guid containerId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task RemoveAsync(Guid containerId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<WorkloadObservation> ObserveAsync(Guid containerId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<string> ResolveImageAsync(string image, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<ReplicaObservation> RunReplicaAsync(WorkloadSpec spec, int index, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task RemoveReplicaAsync(Guid containerId, string engineId, TimeSpan grace, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<WorkloadObservation>> ObserveAllAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
        public IAsyncEnumerable<EngineEvent> WatchAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
