using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests.Authentication;

public sealed class JwtApiTests(BerthServer server) : IClassFixture<BerthServer>
{
    [Fact]
    public async Task SignIn_ThenTheAccessTokenListsContainers()
    {
        var (userId, email) = await server.CreateUserAsync();

        var grant = await server.SignInAsync(email.ToUpperInvariant());
        var response = await server.ClientWithToken(grant.AccessToken()).GetAsync("/api/v1/containers");

        await response.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Bearer", grant.GetProperty("token_type").GetString());
        Assert.Equal(900, grant.GetProperty("expires_in").GetInt32());
        Assert.Equal(["read", "write", "exec", "deploy"], Scopes(grant));
        Assert.StartsWith("berth_rt_", grant.RefreshToken());
        var claims = SignIn.JwtPart(grant.AccessToken(), 1);
        Assert.Equal(userId.ToString(), claims.GetProperty("sub").GetString());
        Assert.Equal("read write exec deploy", claims.GetProperty("scope").GetString());
        Assert.Equal("berth-api", claims.GetProperty("aud").GetString());
        Assert.True(Guid.TryParse(claims.GetProperty("jti").GetString(), out _));
        Assert.Equal(900, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());
    }

    [Fact]
    public async Task AccessToken_IsSignedByTheKeyBerthPublishes()
    {
        var (_, email) = await server.CreateUserAsync();

        var header = SignIn.JwtPart((await server.SignInAsync(email)).AccessToken(), 0);
        var keys = await (await server.Anonymous.GetAsync("/.well-known/jwks.json")).ReadJsonAsync(HttpStatusCode.OK);

        var key = Assert.Single(keys.GetProperty("keys").EnumerateArray());
        Assert.Equal("RS256", header.GetProperty("alg").GetString());
        Assert.Equal(key.GetProperty("kid").GetString(), header.GetProperty("kid").GetString());
        Assert.False(key.TryGetProperty("d", out _), "the private exponent must never be published");
    }

    [Fact]
    public async Task SignIn_WrongPasswordOrUnknownEmail_Returns401InvalidCredentials()
    {
        var (_, email) = await server.CreateUserAsync();

        var wrong = await server.RequestTokenAsync(new { email, password = SignIn.Password + "x" });
        var unknown = await server.RequestTokenAsync(new { email = $"{Guid.NewGuid():N}@example.com", password = SignIn.Password });

        await wrong.AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_CREDENTIALS");
        await unknown.AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_CREDENTIALS");
    }

    [Fact]
    public async Task SignIn_RepeatedWrongPasswords_Returns403AccountLocked_EvenForTheRightOne()
    {
        var (_, email) = await server.CreateUserAsync();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await server.RequestTokenAsync(new { email, password = "wrong-password-" + attempt });
        }

        var response = await server.RequestTokenAsync(new { email, password = SignIn.Password });

        var error = await response.AssertErrorAsync(HttpStatusCode.Forbidden, "ACCOUNT_LOCKED");
        Assert.True(error.GetProperty("details").GetProperty("locked_until").GetDateTimeOffset() > DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task SignIn_MissingFields_Returns400NamingThem()
    {
        var response = await server.RequestTokenAsync(new { scopes = new[] { "read" } });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["email", "password"], error.Fields());
    }

    [Fact]
    public async Task SignIn_UnknownGrantType_Returns400()
    {
        var response = await server.RequestTokenAsync(new { grant_type = "client_credentials" });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["grant_type"], error.Fields());
    }

    [Fact]
    public async Task ReadOnlyAccessToken_CanReadButNotWrite()
    {
        var (_, email) = await server.CreateUserAsync();
        var grant = await server.SignInAsync(email, ["read"]);
        var client = server.ClientWithToken(grant.AccessToken());

        await (await client.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);
        var refused = await client.PostAsJsonAsync("/api/v1/containers", new { hostname = ContainerClient.NewHostname() });

        var error = await refused.AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        Assert.Equal("This token lacks the 'write' scope", error.GetProperty("message").GetString());
        Assert.Equal("write", error.GetProperty("details").GetProperty("required_scope").GetString());
        Assert.Equal(["read"], Scopes(grant));
    }

    [Fact]
    public async Task SignIn_ScopesBeyondTheUser_Returns400()
    {
        var (_, email) = await server.CreateUserAsync();

        var response = await server.RequestTokenAsync(new { email, password = SignIn.Password, scopes = new[] { "read", "admin" } });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["scopes"], error.Fields());
    }

    [Fact]
    public async Task AdminAccessToken_WithTheAdminScope_ActsAsAdmin()
    {
        var (_, email) = await server.CreateUserAsync("admin");

        var grant = await server.SignInAsync(email);
        var users = await server.ClientWithToken(grant.AccessToken()).GetAsync("/api/v1/users");

        await users.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains("admin", Scopes(grant));
    }

    [Fact]
    public async Task Refresh_RotatesAndKeepsTheScopes()
    {
        var (_, email) = await server.CreateUserAsync();
        var first = await server.SignInAsync(email, ["read"]);

        var second = await server.RefreshAsync(first.RefreshToken());
        var third = await (await server.RequestTokenAsync(new { grant_type = "refresh_token", refresh_token = second.RefreshToken() })).ReadDataAsync();

        Assert.NotEqual(first.RefreshToken(), second.RefreshToken());
        Assert.NotEqual(second.RefreshToken(), third.RefreshToken());
        Assert.NotEqual(first.AccessToken(), second.AccessToken());
        Assert.Equal(["read"], Scopes(third));
        await (await server.ClientWithToken(third.AccessToken()).GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Refresh_ReusedToken_IsRefusedAndRevokesTheWholeFamily()
    {
        var (_, email) = await server.CreateUserAsync();
        var first = await server.SignInAsync(email);
        var second = await server.RefreshAsync(first.RefreshToken());
        var otherSignIn = await server.SignInAsync(email);

        var reused = await server.RequestTokenAsync(new { refresh_token = first.RefreshToken() });
        var successor = await server.RequestTokenAsync(new { refresh_token = second.RefreshToken() });

        var error = await reused.AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        Assert.Contains("already used", error.GetProperty("message").GetString());
        await successor.AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        // Another sign-in is another family, and keeps working.
        await server.RefreshAsync(otherSignIn.RefreshToken());
    }

    [Fact]
    public async Task Refresh_UnknownToken_Returns401InvalidToken()
    {
        var response = await server.RequestTokenAsync(new { refresh_token = "berth_rt_" + new string('A', 43) });

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
    }

    [Fact]
    public async Task TamperedAccessToken_Returns401InvalidToken()
    {
        var (_, email) = await server.CreateUserAsync();
        var token = (await server.SignInAsync(email, ["read"])).AccessToken();
        var claims = SignIn.JwtPart(token, 1);
        var widened = JsonSerializer.Serialize(new
        {
            sub = claims.GetProperty("sub").GetString(),
            jti = claims.GetProperty("jti").GetString(),
            scope = "read write exec deploy admin",
            iss = claims.GetProperty("iss").GetString(),
            aud = claims.GetProperty("aud").GetString(),
            iat = claims.GetProperty("iat").GetInt64(),
            nbf = claims.GetProperty("nbf").GetInt64(),
            exp = claims.GetProperty("exp").GetInt64(),
        });

        var response = await server.ClientWithToken(SignIn.WithPayload(token, widened)).GetAsync("/api/v1/containers");

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task JwtOfAnUnknownIssuer_Returns401InvalidToken()
    {
        var (_, email) = await server.CreateUserAsync();
        var token = (await server.SignInAsync(email)).AccessToken();
        var claims = SignIn.JwtPart(token, 1);
        var elsewhere = JsonSerializer.Serialize(new { sub = claims.GetProperty("sub").GetString(), iss = "https://issuer.example.com/" });

        var response = await server.ClientWithToken(SignIn.WithPayload(token, elsewhere)).GetAsync("/api/v1/containers");

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
    }

    [Fact]
    public async Task BannedUser_AccessTokenAndRefreshAreRefused()
    {
        var (userId, email) = await server.CreateUserAsync();
        var grant = await server.SignInAsync(email);
        var client = server.ClientWithToken(grant.AccessToken());
        await (await client.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);

        await (await server.AdminClient.PatchAsJsonAsync($"/api/v1/users/{userId}", new { banned = true })).ReadDataAsync();

        await (await client.GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Forbidden, "ACCOUNT_BANNED");
        await (await server.RequestTokenAsync(new { refresh_token = grant.RefreshToken() }))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "ACCOUNT_BANNED");
        await (await server.RequestTokenAsync(new { email, password = SignIn.Password }))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "ACCOUNT_BANNED");
    }

    [Fact]
    public async Task PersonalAccessTokens_StillWorkBesideJwts()
    {
        var (_, client) = await server.CreateUserClientAsync();

        await (await client.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);
        await (await server.Anonymous.GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Unauthorized, "MISSING_TOKEN");
    }

    private static string[] Scopes(JsonElement grant) =>
        [.. grant.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()!)];
}
