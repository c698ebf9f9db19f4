using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests;

public sealed class AuditApiTests(BerthServer server) : IClassFixture<BerthServer>
{
    private static readonly TimeSpan s_written = TimeSpan.FromSeconds(30);

    private HttpClient Admin => server.AdminClient;

    private async Task<string> AuditTextAsync(string query)
    {
        var response = await Admin.GetAsync($"/api/v1/audit?limit=100&{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The audit entries matching <paramref name="query"/> once <paramref name="match"/> finds one (writes are batched behind the request).</summary>
    private async Task<JsonElement> EntryAsync(string query, Func<JsonElement, bool> match)
    {
        var entries = await Eventually.UntilAsync(
            async () => JsonDocument.Parse(await AuditTextAsync(query)).RootElement.GetProperty("data").EnumerateArray().ToList(),
            list => list.Any(match),
            s_written,
            $"an audit entry for {query}");
        return entries.First(match);
    }

    [Fact]
    public async Task MutatingRequest_Allowed_IsRecordedWithWhoWhatAndHow()
    {
        var (userId, client) = await server.CreateUserClientAsync();

        var created = await (await client.PostAsJsonAsync("/api/v1/tokens", new { name = "audited" })).ReadDataAsync(HttpStatusCode.Created);

        var entry = await EntryAsync($"user_id={userId}&outcome=allowed", e => e.GetProperty("method").GetString() == "POST");
        Assert.Equal(userId, entry.GetProperty("user_id").GetGuid());
        Assert.NotEqual(JsonValueKind.Null, entry.GetProperty("token_id").ValueKind);
        Assert.NotEqual(created.GetProperty("id").GetGuid(), entry.GetProperty("token_id").GetGuid());
        Assert.Equal("/api/v1/tokens/", entry.GetProperty("route").GetString());
        Assert.Equal("/api/v1/tokens", entry.GetProperty("path").GetString());
        Assert.Equal(201, entry.GetProperty("status").GetInt32());
        Assert.Equal("allowed", entry.GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("error_code").ValueKind);
        Assert.False(string.IsNullOrEmpty(entry.GetProperty("request_id").GetString()));
        Assert.True(entry.TryGetProperty("source_address", out _));
        Assert.True(entry.TryGetProperty("time", out _));
    }

    [Fact]
    public async Task Request_WithoutToken_IsRecordedAsDenied()
    {
        var target = Guid.NewGuid().ToString();

        var response = await server.Anonymous.PostAsync($"/api/v1/containers/{target}/start", null);
        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "MISSING_TOKEN");

        var entry = await EntryAsync("outcome=denied&method=post", e => e.GetProperty("target_id").GetString() == target);
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("user_id").ValueKind);
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("token_id").ValueKind);
        Assert.Equal("/api/v1/containers/{id}/{operation}", entry.GetProperty("route").GetString());
        Assert.Equal($"/api/v1/containers/{target}/start", entry.GetProperty("path").GetString());
        Assert.Equal(401, entry.GetProperty("status").GetInt32());
        Assert.Equal("MISSING_TOKEN", entry.GetProperty("error_code").GetString());
        Assert.Equal("denied", entry.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Request_TokenLackingTheScope_IsRecordedAsDenied_EvenAGet()
    {
        var (userId, _) = await server.CreateUserClientAsync();
        var minted = await (await Admin.PostAsJsonAsync($"/api/v1/users/{userId}/tokens", new { name = "write-only", scopes = new[] { "write" } }))
            .ReadDataAsync(HttpStatusCode.Created);
        var client = server.ClientWithToken(minted.GetProperty("token").GetString()!);
        var target = Guid.NewGuid().ToString();

        var response = await client.GetAsync($"/api/v1/containers/{target}");
        await response.AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");

        var entry = await EntryAsync($"user_id={userId}&outcome=denied", e => e.GetProperty("target_id").GetString() == target);
        Assert.Equal("GET", entry.GetProperty("method").GetString());
        Assert.Equal(minted.GetProperty("id").GetGuid(), entry.GetProperty("token_id").GetGuid());
        Assert.Equal("/api/v1/containers/{id}", entry.GetProperty("route").GetString());
        Assert.Equal(403, entry.GetProperty("status").GetInt32());
        Assert.Equal("INSUFFICIENT_PERMISSIONS", entry.GetProperty("error_code").GetString());
    }

    [Fact]
    public async Task AuditAnswers_NeverCarryTokensOrSecrets()
    {
        var (userId, token) = await server.CreateUserWithTokenAsync();
        var client = server.ClientWithToken(token);
        var secret = $"s3cret-{Guid.NewGuid():N}";
        var minted = await (await client.PostAsJsonAsync("/api/v1/tokens", new { name = "second" })).ReadDataAsync(HttpStatusCode.Created);
        var created = await client.PostAsJsonAsync("/api/v1/containers", new
        {
            hostname = ContainerClient.NewHostname("audit"),
            env = new[] { new { key = "API_KEY", value = secret, secret = true } },
        });
        Assert.True(created.IsSuccessStatusCode, $"create answered {created.StatusCode}");

        await EntryAsync($"user_id={userId}", e => e.GetProperty("route").GetString() == "/api/v1/containers/");
        var text = await AuditTextAsync($"user_id={userId}");

        Assert.Contains("/api/v1/tokens", text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        Assert.DoesNotContain(token["berth_pat_".Length..], text, StringComparison.Ordinal);
        Assert.DoesNotContain(minted.GetProperty("token").GetString()!, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shutdown_FlushesQueuedEntries()
    {
        var dataDirectory = BerthServer.NewDataDirectory();
        var adminToken = Berth.Core.Accounts.TokenHasher.Generate();
        const int Requests = 20;
        try
        {
            Guid userId;
            await using (var first = new BerthServer(dataDirectory, adminToken, null))
            {
                (userId, var client) = await first.CreateUserClientAsync();
                for (var i = 0; i < Requests; i++)
                {
                    await (await client.PostAsJsonAsync("/api/v1/tokens", new { name = $"t{i}" })).ReadDataAsync(HttpStatusCode.Created);
                }
            }

            await using var second = new BerthServer(dataDirectory, adminToken, null);
            var page = await (await second.AdminClient.GetAsync($"/api/v1/audit?user_id={userId}")).ReadJsonAsync(HttpStatusCode.OK);

            Assert.Equal(Requests, page.GetProperty("pagination").GetProperty("total").GetInt32());
        }
        finally
        {
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task WebSocketUpgrade_IsRecordedThoughItIsAGet()
    {
        var (userId, token) = await server.CreateUserWithTokenAsync();
        var target = Guid.NewGuid().ToString();
        var client = server.Server.CreateWebSocketClient();
        client.ConfigureRequest = request => request.Headers.Authorization = $"Bearer {token}";
        using var timeout = new CancellationTokenSource(s_written);

        // No such container: the upgrade is refused, and still recorded.
        await Assert.ThrowsAnyAsync<Exception>(() =>
            client.ConnectAsync(new Uri($"ws://localhost/api/v1/containers/{target}/terminal"), timeout.Token));

        var entry = await EntryAsync($"user_id={userId}&method=GET", e => e.GetProperty("target_id").GetString() == target);
        Assert.Equal("/api/v1/containers/{id}/terminal", entry.GetProperty("route").GetString());
        Assert.Equal("allowed", entry.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task ListAudit_NonAdmin_Returns403()
    {
        var (_, client) = await server.CreateUserClientAsync();

        var response = await client.GetAsync("/api/v1/audit");

        await response.AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
    }

    [Fact]
    public async Task ListAudit_Paginated_NewestFirst()
    {
        var (userId, client) = await server.CreateUserClientAsync();
        for (var i = 0; i < 3; i++)
        {
            await (await client.PostAsJsonAsync("/api/v1/tokens", new { name = $"t{i}" })).ReadDataAsync(HttpStatusCode.Created);
        }
        await Eventually.UntilAsync(
            async () => (await (await Admin.GetAsync($"/api/v1/audit?user_id={userId}")).ReadJsonAsync(HttpStatusCode.OK))
                .GetProperty("pagination").GetProperty("total").GetInt32(),
            total => total == 3, s_written, "three audit entries");

        var page = await (await Admin.GetAsync($"/api/v1/audit?user_id={userId}&limit=2&page=1")).ReadJsonAsync(HttpStatusCode.OK);

        var times = page.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("time").GetDateTimeOffset()).ToList();
        Assert.Equal(2, times.Count);
        Assert.True(times[0] >= times[1]);
        Assert.Equal(2, page.GetProperty("pagination").GetProperty("total_pages").GetInt32());
    }

    [Fact]
    public async Task ListAudit_BadFilters_Returns400NamingThem()
    {
        var response = await Admin.GetAsync("/api/v1/audit?outcome=maybe&user_id=nope&since=yesterday");

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["outcome", "since", "user_id"], error.Fields());
    }
}
