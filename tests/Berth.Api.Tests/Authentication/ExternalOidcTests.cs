using System.Net;
using System.Net.Http.Json;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests.Authentication;

/// <summary>A Berth server that trusts a tiny OpenID Connect provider running beside it on 127.0.0.1.</summary>
public sealed class OidcFixture : IAsyncLifetime
{
    public const string Audience = "berth-tests";

    public TestOidcIssuer Issuer { get; private set; } = null!;

    public BerthServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Issuer = await TestOidcIssuer.StartAsync();
        Server = new BerthServer(null, null, new Dictionary<string, string?>
        {
            ["Berth:Oidc:Issuer"] = Issuer.Issuer,
            ["Berth:Oidc:Audience"] = Audience,
            ["Berth:Oidc:RequireHttpsMetadata"] = "false",
        });
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Issuer.DisposeAsync();
    }
}

public sealed class ExternalOidcTests(OidcFixture oidc) : IClassFixture<OidcFixture>
{
    private const string Audience = OidcFixture.Audience;

    private readonly TestOidcIssuer _issuer = oidc.Issuer;
    private readonly BerthServer _server = oidc.Server;

    /// <summary>A user the admin created, holding a personal access token named so that its listing shows whose tokens these are.</summary>
    private async Task<(string Email, string TokenName)> CreateUserAsync()
    {
        var (userId, email) = await _server.CreateUserAsync();
        var tokenName = $"marker-{Guid.NewGuid():N}";
        await (await _server.AdminClient.PostAsJsonAsync($"/api/v1/users/{userId}/tokens", new { name = tokenName }))
            .ReadDataAsync(HttpStatusCode.Created);
        return (email, tokenName);
    }

    private HttpClient ClientFor(string email, string? scope = null, string audience = Audience)
    {
        var claims = new Dictionary<string, object> { ["sub"] = Guid.NewGuid().ToString(), ["email"] = email };
        if (scope is not null)
        {
            claims["scope"] = scope;
        }
        return _server.ClientWithToken(_issuer.CreateToken(claims, audience));
    }

    [Fact]
    public async Task TokenFromTheProvider_ActsAsTheUserWithThatEmail()
    {
        var (email, tokenName) = await CreateUserAsync();

        var tokens = await (await ClientFor(email.ToUpperInvariant()).GetAsync("/api/v1/tokens")).ReadDataAsync();

        Assert.Equal(tokenName, Assert.Single(tokens.EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task TokenWithoutScope_HasTheUsersFullAccess_AndItsScopeClaimNarrowsIt()
    {
        var (email, _) = await CreateUserAsync();
        var full = ClientFor(email);
        var readOnly = ClientFor(email, scope: "openid email read");

        await (await full.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);
        await (await readOnly.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);
        var refused = await readOnly.PostAsJsonAsync("/api/v1/containers", new { hostname = ContainerClient.NewHostname() });
        var notAdmin = await ClientFor(email, scope: "read admin").GetAsync("/api/v1/users");

        var error = await refused.AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        Assert.Equal("write", error.GetProperty("details").GetProperty("required_scope").GetString());
        // A scope the user does not hold is not granted by the token.
        await notAdmin.AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
    }

    [Fact]
    public async Task TokenSignedByAnotherKey_Returns401InvalidToken()
    {
        var (email, _) = await CreateUserAsync();
        // The same kid, so that only the signature tells the keys apart.
        var otherKey = TestOidcIssuer.NewKey(_issuer.Key.KeyId!);
        using var rsa = otherKey.Rsa;
        var forged = _issuer.CreateToken(new Dictionary<string, object> { ["sub"] = "x", ["email"] = email }, Audience, otherKey);

        var response = await _server.ClientWithToken(forged).GetAsync("/api/v1/containers");

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
    }

    [Fact]
    public async Task TokenForAnUnknownEmail_Returns401InvalidTokenSayingSo()
    {
        var response = await ClientFor($"{Guid.NewGuid():N}@example.com").GetAsync("/api/v1/containers");

        var error = await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        Assert.Contains("No Berth user has the email", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task TokenForAnotherAudience_Returns401InvalidToken()
    {
        var (email, _) = await CreateUserAsync();

        var response = await ClientFor(email, audience: "another-app").GetAsync("/api/v1/containers");

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
    }

    [Fact]
    public async Task ExpiredToken_Returns401TokenExpired()
    {
        var (email, _) = await CreateUserAsync();
        var expired = _issuer.CreateToken(
            new Dictionary<string, object> { ["sub"] = "x", ["email"] = email }, Audience, lifetime: TimeSpan.FromMinutes(-2));

        var response = await _server.ClientWithToken(expired).GetAsync("/api/v1/containers");

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "TOKEN_EXPIRED");
    }

    [Fact]
    public async Task UnverifiedEmail_Returns401InvalidToken()
    {
        var (email, _) = await CreateUserAsync();
        var token = _issuer.CreateToken(
            new Dictionary<string, object> { ["sub"] = "x", ["email"] = email, ["email_verified"] = false }, Audience);

        var response = await _server.ClientWithToken(token).GetAsync("/api/v1/containers");

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
    }

    [Fact]
    public async Task BannedUser_Returns403AccountBanned()
    {
        var (userId, email) = await _server.CreateUserAsync();
        var client = ClientFor(email);
        await (await client.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);

        await (await _server.AdminClient.PatchAsJsonAsync($"/api/v1/users/{userId}", new { banned = true })).ReadDataAsync();

        await (await client.GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Forbidden, "ACCOUNT_BANNED");
    }
}
