using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Api.Tests;

public sealed class ScopesApiTests(BerthServer server) : IClassFixture<BerthServer>
{
    private HttpClient Admin => server.AdminClient;

    private async Task<Guid> CreateUserAsync(string role)
    {
        var created = await Admin.PostAsJsonAsync("/api/v1/users",
            new { email = $"{Guid.NewGuid():N}@example.com", name = "Scoped", role });
        return (await created.ReadDataAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
    }

    /// <summary>A client whose token holds exactly <paramref name="scopes"/>.</summary>
    private async Task<HttpClient> ClientWithScopesAsync(string role, params string[] scopes)
    {
        var userId = await CreateUserAsync(role);
        var minted = await Admin.PostAsJsonAsync($"/api/v1/users/{userId}/tokens", new { name = "scoped", scopes });
        var token = await minted.ReadDataAsync(HttpStatusCode.Created);
        Assert.Equal(scopes.Order(), token.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).Order());
        return server.ClientWithToken(token.GetProperty("token").GetString()!);
    }

    private static async Task AssertLacksScopeAsync(HttpResponseMessage response, string scope)
    {
        var error = await response.AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        Assert.Equal($"This token lacks the '{scope}' scope", error.GetProperty("message").GetString());
        Assert.Equal(scope, error.GetProperty("details").GetProperty("required_scope").GetString());
    }

    private static string[] Scopes(JsonElement token) =>
        [.. token.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()!)];

    [Fact]
    public async Task Read_TokenWithoutIt_CannotListContainersOrStreamEvents()
    {
        var client = await ClientWithScopesAsync("user", "write");

        await AssertLacksScopeAsync(await client.GetAsync("/api/v1/containers"), "read");
        await AssertLacksScopeAsync(await client.GetAsync("/api/v1/events"), "read");
        await AssertLacksScopeAsync(await client.GetAsync($"/api/v1/containers/{Guid.NewGuid()}/logs"), "read");
    }

    [Fact]
    public async Task Write_TokenWithoutIt_CannotCreateChangeOrStopContainers()
    {
        var client = await ClientWithScopesAsync("user", "read");

        await AssertLacksScopeAsync(await client.PostAsJsonAsync("/api/v1/containers", new { hostname = ContainerClient.NewHostname() }), "write");
        await AssertLacksScopeAsync(await client.PatchAsJsonAsync($"/api/v1/containers/{Guid.NewGuid()}", new { memory_mb = 256 }), "write");
        await AssertLacksScopeAsync(await client.PostAsync($"/api/v1/containers/{Guid.NewGuid()}/stop", null), "write");
        await AssertLacksScopeAsync(await client.DeleteAsync($"/api/v1/containers/{Guid.NewGuid()}"), "write");
    }

    [Fact]
    public async Task Exec_TokenWithoutIt_CannotRunOrCancelCommands()
    {
        var client = await ClientWithScopesAsync("user", "read", "write", "deploy");

        await AssertLacksScopeAsync(await client.PostAsJsonAsync($"/api/v1/containers/{Guid.NewGuid()}/commands", new { command = "ls" }), "exec");
        await AssertLacksScopeAsync(await client.PostAsync($"/api/v1/commands/{Guid.NewGuid()}/cancel", null), "exec");
        await AssertLacksScopeAsync(await client.GetAsync($"/api/v1/containers/{Guid.NewGuid()}/terminal"), "exec");
    }

    [Fact]
    public async Task Deploy_TokenWithoutIt_CannotDeployRollBackOrCancel()
    {
        var client = await ClientWithScopesAsync("user", "read", "write", "exec");

        await AssertLacksScopeAsync(await client.PostAsJsonAsync($"/api/v1/containers/{Guid.NewGuid()}/deploy", new { image = "x" }), "deploy");
        await AssertLacksScopeAsync(await client.PostAsync($"/api/v1/deployments/{Guid.NewGuid()}/rollback", null), "deploy");
        await AssertLacksScopeAsync(await client.PostAsync($"/api/v1/deployments/{Guid.NewGuid()}/cancel", null), "deploy");
    }

    [Fact]
    public async Task Admin_AdminUsersTokenWithoutIt_IsNotTreatedAsAdmin()
    {
        var client = await ClientWithScopesAsync("admin", "read", "write", "exec", "deploy");

        await AssertLacksScopeAsync(await client.GetAsync("/api/v1/users"), "admin");
        await AssertLacksScopeAsync(await client.GetAsync("/metrics"), "admin");
        await AssertLacksScopeAsync(await client.GetAsync("/api/v1/audit"), "admin");
        // The same user's own tokens need no particular scope.
        (await client.GetAsync("/api/v1/tokens")).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Admin_NonAdminUser_IsToldItNeedsTheRoleNotAScope()
    {
        var (_, client) = await server.CreateUserClientAsync();

        var error = await (await client.GetAsync("/api/v1/users")).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");

        Assert.Equal("This action requires the admin role", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task ReadOnlyToken_CanStillRead()
    {
        var client = await ClientWithScopesAsync("user", "read");

        var response = await client.GetAsync("/api/v1/containers");

        await response.ReadJsonAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("user", new[] { "read", "write", "exec", "deploy" })]
    [InlineData("admin", new[] { "read", "write", "exec", "deploy", "admin" })]
    public async Task CreateToken_ScopesOmitted_GetsEverythingTheUserMayDo(string role, string[] expected)
    {
        var userId = await CreateUserAsync(role);

        var minted = await (await Admin.PostAsJsonAsync($"/api/v1/users/{userId}/tokens", new { name = "default" }))
            .ReadDataAsync(HttpStatusCode.Created);
        var own = await (await server.ClientWithToken(minted.GetProperty("token").GetString()!)
            .PostAsJsonAsync("/api/v1/tokens", new { name = "own" })).ReadDataAsync(HttpStatusCode.Created);

        Assert.Equal(expected, Scopes(minted));
        Assert.Equal(expected, Scopes(own));
    }

    [Fact]
    public async Task CreateToken_AdminScopeForANonAdmin_Returns400()
    {
        var userId = await CreateUserAsync("user");

        var response = await Admin.PostAsJsonAsync($"/api/v1/users/{userId}/tokens", new { name = "t", scopes = new[] { "read", "admin" } });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["scopes"], error.Fields());
    }

    [Fact]
    public async Task CreateToken_UnknownScope_Returns400()
    {
        var response = await Admin.PostAsJsonAsync("/api/v1/tokens", new { name = "t", scopes = new[] { "read", "everything" } });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["scopes"], error.Fields());
    }

    [Fact]
    public async Task CreateOwnToken_NarrowToken_CannotMintAWiderOne()
    {
        var client = await ClientWithScopesAsync("user", "read");

        var wider = await client.PostAsJsonAsync("/api/v1/tokens", new { name = "wider", scopes = new[] { "write" } });
        var defaulted = await (await client.PostAsJsonAsync("/api/v1/tokens", new { name = "same" })).ReadDataAsync(HttpStatusCode.Created);

        await wider.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["read"], Scopes(defaulted));
    }

    [Fact]
    public async Task ListTokens_ShowsEachTokensScopes()
    {
        var client = await ClientWithScopesAsync("user", "read", "deploy");

        var tokens = await (await client.GetAsync("/api/v1/tokens")).ReadDataAsync();

        var token = Assert.Single(tokens.EnumerateArray());
        Assert.Equal(["read", "deploy"], Scopes(token));
    }

    [Fact]
    public void EveryApiRoute_NamesTheScopeItNeeds()
    {
        var sources = server.Services.GetRequiredService<EndpointDataSource>();
        var guarded = sources.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } route
                && (route.StartsWith("/api/v1/", StringComparison.Ordinal) || route == "/metrics")
                // Your own tokens and sessions need no scope; login and logout need no credential at all.
                && !route.StartsWith("/api/v1/tokens", StringComparison.Ordinal)
                && !route.StartsWith("/api/v1/auth/session", StringComparison.Ordinal)
                && e.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is null)
            .ToList();
        // A route open to anyone (signing in) needs no scope, and says so.
        var unscoped = guarded
            .Where(e => e.Metadata.GetMetadata<Berth.Server.Accounts.RequiredScope>() is null
                && e.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is null)
            .Select(e => e.DisplayName)
            .ToList();

        Assert.True(guarded.Count > 20, $"only {guarded.Count} routes found");
        Assert.Empty(unscoped);
    }
}
