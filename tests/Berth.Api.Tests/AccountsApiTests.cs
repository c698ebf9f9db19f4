using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Berth.Api.Tests.Infrastructure;
using Berth.Core.Accounts;

namespace Berth.Api.Tests;

public sealed class AccountsApiTests(BerthServer server) : IClassFixture<BerthServer>
{
    private HttpClient Admin => server.AdminClient;

    // ---- users (admin) ----

    [Fact]
    public async Task CreateUser_AsAdmin_Returns201WithTheUser()
    {
        var email = $"{Guid.NewGuid():N}@Example.com";

        var response = await Admin.PostAsJsonAsync("/api/v1/users", new { email, name = "Ada", role = "user" });

        var json = await response.ReadJsonAsync(HttpStatusCode.Created);
        var user = json.GetProperty("data");
        Assert.Equal(email.ToLowerInvariant(), user.GetProperty("email").GetString());
        Assert.Equal("Ada", user.GetProperty("name").GetString());
        Assert.Equal("user", user.GetProperty("role").GetString());
        Assert.False(user.GetProperty("banned").GetBoolean());
        Assert.True(user.TryGetProperty("created_at", out _));
        Assert.False(string.IsNullOrEmpty(json.GetProperty("message").GetString()));
        Assert.Equal($"/api/v1/users/{user.GetProperty("id").GetGuid()}", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task CreateUser_EveryFieldBad_Returns400NamingEachField()
    {
        var response = await Admin.PostAsJsonAsync("/api/v1/users", new { email = "nope", name = "", role = "root" });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["email", "name", "role"], error.Fields());
    }

    [Fact]
    public async Task CreateUser_NameTooLong_Returns400OnName()
    {
        var response = await Admin.PostAsJsonAsync("/api/v1/users",
            new { email = $"{Guid.NewGuid():N}@example.com", name = new string('x', 101), role = "user" });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["name"], error.Fields());
    }

    [Fact]
    public async Task CreateUser_DuplicateEmail_Returns409AlreadyExists()
    {
        var email = $"{Guid.NewGuid():N}@example.com";
        await (await Admin.PostAsJsonAsync("/api/v1/users", new { email, name = "A", role = "user" })).ReadDataAsync(HttpStatusCode.Created);

        var response = await Admin.PostAsJsonAsync("/api/v1/users", new { email = email.ToUpperInvariant(), name = "B", role = "user" });

        await response.AssertErrorAsync(HttpStatusCode.Conflict, "ALREADY_EXISTS");
    }

    [Fact]
    public async Task UserRoutes_AsNonAdmin_Return403InsufficientPermissions()
    {
        var (userId, client) = await server.CreateUserClientAsync();

        await (await client.PostAsJsonAsync("/api/v1/users", new { email = "x@example.com", name = "X", role = "admin" }))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        await (await client.GetAsync("/api/v1/users")).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        await (await client.GetAsync($"/api/v1/users/{userId}")).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        await (await client.PatchAsJsonAsync($"/api/v1/users/{userId}", new { role = "admin" }))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        await (await client.PostAsJsonAsync($"/api/v1/users/{userId}/tokens", new { name = "t" }))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
    }

    [Fact]
    public async Task ListUsers_WithLimit_ReturnsAPageAndPagination()
    {
        await server.CreateUserClientAsync();
        await server.CreateUserClientAsync();

        var json = await (await Admin.GetAsync("/api/v1/users?page=2&limit=1")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Single(json.GetProperty("data").EnumerateArray());
        var pagination = json.GetProperty("pagination");
        Assert.Equal(2, pagination.GetProperty("page").GetInt32());
        Assert.Equal(1, pagination.GetProperty("limit").GetInt32());
        var total = pagination.GetProperty("total").GetInt32();
        Assert.True(total >= 3, $"total {total}");
        Assert.Equal(total, pagination.GetProperty("total_pages").GetInt32());
    }

    [Theory]
    [InlineData("page=0", "page")]
    [InlineData("page=abc", "page")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    public async Task ListUsers_PagingOutOfRange_Returns400OnThatField(string query, string field)
    {
        var error = await (await Admin.GetAsync($"/api/v1/users?{query}")).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        Assert.Equal([field], error.Fields());
    }

    [Fact]
    public async Task GetUser_Existing_ReturnsItAndUnknownIs404()
    {
        var (userId, _) = await server.CreateUserClientAsync();

        var user = await (await Admin.GetAsync($"/api/v1/users/{userId}")).ReadDataAsync();
        Assert.Equal(userId, user.GetProperty("id").GetGuid());

        await (await Admin.GetAsync($"/api/v1/users/{Guid.NewGuid()}")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task UpdateUser_PromoteToAdmin_GrantsAdminRoutesAtOnce()
    {
        var (userId, client) = await server.CreateUserClientAsync();
        await (await client.GetAsync("/api/v1/users")).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");

        var updated = await (await Admin.PatchAsJsonAsync($"/api/v1/users/{userId}", new { role = "admin" })).ReadDataAsync();

        Assert.Equal("admin", updated.GetProperty("role").GetString());
        await (await client.GetAsync("/api/v1/users")).ReadDataAsync();
    }

    [Fact]
    public async Task UpdateUser_Ban_Returns403AccountBannedAtOnceAndUnbanRestores()
    {
        var (userId, client) = await server.CreateUserClientAsync();
        await (await client.GetAsync("/api/v1/tokens")).ReadDataAsync();

        var banned = await (await Admin.PatchAsJsonAsync($"/api/v1/users/{userId}", new { banned = true })).ReadDataAsync();
        Assert.True(banned.GetProperty("banned").GetBoolean());
        await (await client.GetAsync("/api/v1/tokens")).AssertErrorAsync(HttpStatusCode.Forbidden, "ACCOUNT_BANNED");

        await (await Admin.PatchAsJsonAsync($"/api/v1/users/{userId}", new { banned = false })).ReadDataAsync();
        await (await client.GetAsync("/api/v1/tokens")).ReadDataAsync();
    }

    [Fact]
    public async Task UpdateUser_BadRole_Returns400OnRole()
    {
        var (userId, _) = await server.CreateUserClientAsync();

        var error = await (await Admin.PatchAsJsonAsync($"/api/v1/users/{userId}", new { role = "owner" }))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        Assert.Equal(["role"], error.Fields());
    }

    [Fact]
    public async Task UpdateUser_BannedNotABoolean_Returns400()
    {
        var (userId, _) = await server.CreateUserClientAsync();

        var response = await Admin.PatchAsync($"/api/v1/users/{userId}", Json("""{"banned": "yes"}"""));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("banned", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateUser_UnknownId_Returns404NotFound()
    {
        await (await Admin.PatchAsJsonAsync($"/api/v1/users/{Guid.NewGuid()}", new { banned = true }))
            .AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Theory]
    [InlineData("PATCH", "/api/v1/users/not-a-guid")]
    [InlineData("GET", "/api/v1/users/123")]
    [InlineData("POST", "/api/v1/users/xyz/tokens")]
    [InlineData("DELETE", "/api/v1/tokens/not-a-guid")]
    public async Task Routes_MalformedId_Return400InvalidIdFormat(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = Json("""{"name": "t", "role": "user"}""") };

        await (await Admin.SendAsync(request)).AssertErrorAsync(HttpStatusCode.BadRequest, "INVALID_ID_FORMAT");
    }

    [Fact]
    public async Task CreateTokenForUser_AsAdmin_TokenActsAsThatUser()
    {
        var (userId, _) = await server.CreateUserClientAsync();

        var minted = await (await Admin.PostAsJsonAsync($"/api/v1/users/{userId}/tokens", new { name = "deploy-bot" }))
            .ReadDataAsync(HttpStatusCode.Created);
        Assert.Equal(userId, minted.GetProperty("user_id").GetGuid());

        var tokens = await (await server.ClientWithToken(minted.GetProperty("token").GetString()!).GetAsync("/api/v1/tokens")).ReadDataAsync();
        Assert.Contains(tokens.EnumerateArray(), t => t.GetProperty("id").GetGuid() == minted.GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task CreateTokenForUser_UnknownUser_Returns404NotFound()
    {
        await (await Admin.PostAsJsonAsync($"/api/v1/users/{Guid.NewGuid()}/tokens", new { name = "t" }))
            .AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    // ---- tokens (any user, their own) ----

    [Fact]
    public async Task CreateToken_Returns201WithTheSecretOnce()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var expiresAt = TimeProvider.System.GetUtcNow().AddDays(30);

        var json = await (await client.PostAsJsonAsync("/api/v1/tokens", new { name = "laptop", expires_at = expiresAt }))
            .ReadJsonAsync(HttpStatusCode.Created);

        var data = json.GetProperty("data");
        foreach (var field in new[] { "id", "name", "token", "prefix", "expires_at", "created_at" })
        {
            Assert.True(data.TryGetProperty(field, out _), $"missing {field}: {data}");
        }
        var token = data.GetProperty("token").GetString()!;
        Assert.StartsWith("berth_pat_", token, StringComparison.Ordinal);
        Assert.StartsWith(data.GetProperty("prefix").GetString()!, token, StringComparison.Ordinal);
        Assert.Equal(expiresAt, data.GetProperty("expires_at").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));
        await (await server.ClientWithToken(token).GetAsync("/api/v1/tokens")).ReadDataAsync();
    }

    [Fact]
    public async Task ListTokens_NeverContainsTheSecretOrItsHash()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var created = await (await client.PostAsJsonAsync("/api/v1/tokens", new { name = "listed" })).ReadDataAsync(HttpStatusCode.Created);
        var secret = created.GetProperty("token").GetString()!;

        var response = await client.GetAsync("/api/v1/tokens");

        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, body, StringComparison.Ordinal);
        Assert.DoesNotContain(TokenHasher.Hash(secret), body, StringComparison.Ordinal);
        var listed = Assert.Single((await response.ReadDataAsync()).EnumerateArray(), t => t.GetProperty("name").GetString() == "listed");
        Assert.Equal(["created_at", "expires_at", "id", "name", "prefix", "scopes"], listed.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ListTokens_OnlyTheCallersOwn()
    {
        var (_, alice) = await server.CreateUserClientAsync();
        var (_, bob) = await server.CreateUserClientAsync();
        var created = await (await alice.PostAsJsonAsync("/api/v1/tokens", new { name = "alice-only" })).ReadDataAsync(HttpStatusCode.Created);

        var bobs = await (await bob.GetAsync("/api/v1/tokens")).ReadDataAsync();

        Assert.DoesNotContain(bobs.EnumerateArray(), t => t.GetProperty("id").GetGuid() == created.GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task RevokeToken_Returns204AndTheTokenStopsWorkingAtOnce()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var created = await (await client.PostAsJsonAsync("/api/v1/tokens", new { name = "short-lived" })).ReadDataAsync(HttpStatusCode.Created);
        var revokedClient = server.ClientWithToken(created.GetProperty("token").GetString()!);
        await (await revokedClient.GetAsync("/api/v1/tokens")).ReadDataAsync();

        var response = await client.DeleteAsync($"/api/v1/tokens/{created.GetProperty("id").GetGuid()}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await (await revokedClient.GetAsync("/api/v1/tokens")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        var remaining = await (await client.GetAsync("/api/v1/tokens")).ReadDataAsync();
        Assert.DoesNotContain(remaining.EnumerateArray(), t => t.GetProperty("id").GetGuid() == created.GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task RevokeToken_UnknownOrAnotherUsers_Returns404NotFound()
    {
        var (_, alice) = await server.CreateUserClientAsync();
        var (_, bob) = await server.CreateUserClientAsync();
        var alices = await (await alice.PostAsJsonAsync("/api/v1/tokens", new { name = "mine" })).ReadDataAsync(HttpStatusCode.Created);

        await (await bob.DeleteAsync($"/api/v1/tokens/{alices.GetProperty("id").GetGuid()}")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        await (await bob.DeleteAsync($"/api/v1/tokens/{Guid.NewGuid()}")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        await (await server.ClientWithToken(alices.GetProperty("token").GetString()!).GetAsync("/api/v1/tokens")).ReadDataAsync();
    }

    [Fact]
    public async Task CreateToken_BadFields_Returns400NamingEachField()
    {
        var (_, client) = await server.CreateUserClientAsync();

        var response = await client.PostAsJsonAsync("/api/v1/tokens",
            new { name = "", expires_at = TimeProvider.System.GetUtcNow().AddMinutes(-1) });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["expires_at", "name"], error.Fields());
    }

    [Fact]
    public async Task CreateToken_ExpiresAtNotADate_Returns400NamingIt()
    {
        var (_, client) = await server.CreateUserClientAsync();

        var response = await client.PostAsync("/api/v1/tokens", Json("""{"name": "t", "expires_at": "tomorrow"}"""));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("expires_at", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    // ---- authentication ----

    [Theory]
    [InlineData("/api/v1/tokens")]
    [InlineData("/api/v1/users")]
    public async Task Request_WithoutToken_Returns401MissingToken(string path)
    {
        var response = await server.Anonymous.GetAsync(path);

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "MISSING_TOKEN");
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Theory]
    [InlineData("Bearer berth_pat_thisdoesnotexistanywhere")]
    [InlineData("Bearer not-a-berth-token")]
    [InlineData("Bearer ")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task Request_UnknownOrMalformedToken_Returns401InvalidToken(string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tokens");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        await (await server.Anonymous.SendAsync(request)).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
    }

    [Fact]
    public async Task Request_WithExpiredToken_Returns401TokenExpired()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var created = await (await client.PostAsJsonAsync("/api/v1/tokens",
            new { name = "brief", expires_at = TimeProvider.System.GetUtcNow().AddSeconds(2) })).ReadDataAsync(HttpStatusCode.Created);
        var expiring = server.ClientWithToken(created.GetProperty("token").GetString()!);

        var code = await Eventually.UntilAsync(
            async () => await (await expiring.GetAsync("/api/v1/tokens")).ReadErrorCodeAsync(),
            c => c is not null,
            TimeSpan.FromSeconds(60),
            "the token to expire");

        Assert.Equal("TOKEN_EXPIRED", code);
    }

    // ---- idempotency ----

    [Fact]
    public async Task CreateToken_SameIdempotencyKeyTwice_ReplaysTheFirstAnswerAndCreatesOne()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var key = Guid.NewGuid().ToString();

        var first = await PostWithKeyAsync(client, "/api/v1/tokens", new { name = "once" }, key);
        var second = await PostWithKeyAsync(client, "/api/v1/tokens", new { name = "once" }, key);

        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var a = await first.ReadDataAsync(HttpStatusCode.Created);
        var b = await second.ReadDataAsync(HttpStatusCode.Created);
        Assert.Equal(a.GetProperty("id").GetGuid(), b.GetProperty("id").GetGuid());
        Assert.Equal(a.GetProperty("token").GetString(), b.GetProperty("token").GetString());
        var tokens = await (await client.GetAsync("/api/v1/tokens")).ReadDataAsync();
        Assert.Single(tokens.EnumerateArray(), t => t.GetProperty("name").GetString() == "once");
    }

    [Fact]
    public async Task CreateToken_SameIdempotencyKeyRacing_HandlerRunsOnce()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostWithKeyAsync(client, "/api/v1/tokens", new { name = "raced" }, key)));

        var ids = new HashSet<Guid>();
        foreach (var response in responses)
        {
            ids.Add((await response.ReadDataAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid());
        }
        Assert.Single(ids);
        var tokens = await (await client.GetAsync("/api/v1/tokens")).ReadDataAsync();
        Assert.Single(tokens.EnumerateArray(), t => t.GetProperty("name").GetString() == "raced");
    }

    [Fact]
    public async Task IdempotencyKey_SameKeyOtherUser_IsIndependent()
    {
        var (_, alice) = await server.CreateUserClientAsync();
        var (_, bob) = await server.CreateUserClientAsync();
        var key = Guid.NewGuid().ToString();

        var a = await (await PostWithKeyAsync(alice, "/api/v1/tokens", new { name = "k" }, key)).ReadDataAsync(HttpStatusCode.Created);
        var b = await (await PostWithKeyAsync(bob, "/api/v1/tokens", new { name = "k" }, key)).ReadDataAsync(HttpStatusCode.Created);

        Assert.NotEqual(a.GetProperty("id").GetGuid(), b.GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task IdempotencyKey_ReusedOnAnotherPath_Returns400()
    {
        var key = Guid.NewGuid().ToString();
        await (await PostWithKeyAsync(Admin, "/api/v1/tokens", new { name = "first" }, key)).ReadDataAsync(HttpStatusCode.Created);

        var response = await PostWithKeyAsync(Admin, "/api/v1/users",
            new { email = $"{Guid.NewGuid():N}@example.com", name = "N", role = "user" }, key);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["Idempotency-Key"], error.Fields());
    }

    [Fact]
    public async Task IdempotencyKey_FailedFirstAttempt_IsNotStoredSoARetrySucceeds()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var key = Guid.NewGuid().ToString();

        await (await PostWithKeyAsync(client, "/api/v1/tokens", new { name = "" }, key)).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var retried = await PostWithKeyAsync(client, "/api/v1/tokens", new { name = "fixed" }, key);

        Assert.Equal("fixed", (await retried.ReadDataAsync(HttpStatusCode.Created)).GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("del\u007f")]
    [InlineData("tab\there")]
    [InlineData(null)]
    public async Task IdempotencyKey_Malformed_Returns400(string? key)
    {
        key ??= new string('k', 256);

        var response = await PostWithKeyAsync(Admin, "/api/v1/tokens", new { name = "t" }, key);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["Idempotency-Key"], error.Fields());
    }

    [Fact]
    public async Task CreateUser_SameIdempotencyKeyTwice_CreatesOneUser()
    {
        var key = Guid.NewGuid().ToString();
        var body = new { email = $"{Guid.NewGuid():N}@example.com", name = "Once", role = "user" };

        var first = await (await PostWithKeyAsync(Admin, "/api/v1/users", body, key)).ReadDataAsync(HttpStatusCode.Created);
        var second = await (await PostWithKeyAsync(Admin, "/api/v1/users", body, key)).ReadDataAsync(HttpStatusCode.Created);

        Assert.Equal(first.GetProperty("id").GetGuid(), second.GetProperty("id").GetGuid());
    }

    private static async Task<HttpResponseMessage> PostWithKeyAsync(HttpClient client, string path, object body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return await client.SendAsync(request);
    }

    private static StringContent Json(string json) => new(json, new MediaTypeHeaderValue("application/json"));
}
