using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Berth.Api.Tests;

public sealed class SessionsApiTests(BerthServer server) : IClassFixture<BerthServer>
{
    private const string Password = "Correct-Horse-42!";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private HttpClient Admin => server.AdminClient;

    /// <summary>What a browser holds after signing in: the cookie's value and the CSRF token the page keeps.</summary>
    private sealed record Browser(Guid UserId, Guid SessionId, string Secret, string CsrfToken, JsonElement Data);

    private async Task<(Guid Id, string Email)> CreateUserAsync(string role = "user")
    {
        var email = $"{Guid.NewGuid():N}@example.com";
        var created = await Admin.PostAsJsonAsync("/api/v1/users", new { email, name = "Browser user", role, password = Password });
        return ((await created.ReadDataAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid(), email);
    }

    /// <summary>A client that keeps no cookies of its own: each request sends exactly the headers a test gives it.</summary>
    private HttpClient Client(string? sessionSecret = null, string? csrfToken = null)
    {
        var client = server.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.Timeout = BerthServer.RequestTimeout;
        if (sessionSecret is not null)
        {
            client.DefaultRequestHeaders.Add("Cookie", $"berth_session={sessionSecret}");
        }
        if (csrfToken is not null)
        {
            client.DefaultRequestHeaders.Add("x-csrf-token", csrfToken);
        }
        return client;
    }

    private Task<HttpResponseMessage> LoginAsync(string email, string password) =>
        Client().PostAsJsonAsync("/api/v1/auth/login", new { email, password });

    private async Task<Browser> SignInAsync(string role = "user")
    {
        var (userId, email) = await CreateUserAsync(role);
        var response = await LoginAsync(email, Password);
        var data = await response.ReadDataAsync();
        var cookie = SessionCookie(response) ?? throw new Xunit.Sdk.XunitException("login set no berth_session cookie");
        var secret = cookie.Split(';')[0]["berth_session=".Length..];
        return new Browser(userId, data.GetProperty("session_id").GetGuid(), secret, data.GetProperty("csrf_token").GetString()!, data);
    }

    private static string? SessionCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.FirstOrDefault(v => v.StartsWith("berth_session=", StringComparison.Ordinal))
            : null;

    [Fact]
    public async Task Login_RightPassword_SetsAnHttpOnlyStrictCookieAndReturnsTheUserAndCsrfToken()
    {
        var (userId, email) = await CreateUserAsync();

        var response = await LoginAsync(email.ToUpperInvariant(), Password);

        var data = await response.ReadDataAsync();
        Assert.Equal(userId, data.GetProperty("user").GetProperty("id").GetGuid());
        Assert.Equal("session", data.GetProperty("credential").GetString());
        Assert.False(string.IsNullOrEmpty(data.GetProperty("csrf_token").GetString()));
        Assert.True(data.GetProperty("expires_at").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.True(data.GetProperty("idle_expires_at").GetDateTimeOffset() <= data.GetProperty("expires_at").GetDateTimeOffset());
        var cookie = SessionCookie(response)!.ToLowerInvariant();
        Assert.Contains("httponly", cookie, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", cookie, StringComparison.Ordinal);
        Assert.Contains("path=/", cookie, StringComparison.Ordinal);
        // The test server speaks plain HTTP: Secure would make the browser drop the cookie.
        Assert.DoesNotContain("secure", cookie, StringComparison.Ordinal);
        Assert.DoesNotContain(data.GetProperty("csrf_token").GetString()!.ToLowerInvariant(), cookie, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_Get_WorksWithTheCookieAlone_AndShowsTheSameCsrfToken()
    {
        var browser = await SignInAsync();
        var client = Client(browser.Secret);

        Assert.Equal(0, (await (await client.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK))
            .GetProperty("pagination").GetProperty("total").GetInt32());
        var session = await (await client.GetAsync("/api/v1/auth/session")).ReadDataAsync();

        Assert.Equal(browser.UserId, session.GetProperty("user").GetProperty("id").GetGuid());
        Assert.Equal(browser.SessionId, session.GetProperty("session_id").GetGuid());
        Assert.Equal(browser.CsrfToken, session.GetProperty("csrf_token").GetString());
    }

    [Fact]
    public async Task Session_PostWithoutOrWithAWrongCsrfToken_Is403_AndWithTheRightOneSucceeds()
    {
        var browser = await SignInAsync();

        await (await Client(browser.Secret).PostAsJsonAsync("/api/v1/tokens", new { name = "no-csrf" }))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "CSRF_REJECTED");
        await (await Client(browser.Secret, "wrong").PostAsJsonAsync("/api/v1/tokens", new { name = "wrong-csrf" }))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "CSRF_REJECTED");
        var other = await SignInAsync();
        await (await Client(browser.Secret, other.CsrfToken).PostAsJsonAsync("/api/v1/tokens", new { name = "other-csrf" }))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "CSRF_REJECTED");

        var created = await (await Client(browser.Secret, browser.CsrfToken).PostAsJsonAsync("/api/v1/tokens", new { name = "with-csrf" }))
            .ReadDataAsync(HttpStatusCode.Created);

        Assert.Equal(browser.UserId, created.GetProperty("user_id").GetGuid());
        // Only the request with the token acted.
        var tokens = await (await Client(browser.Secret).GetAsync("/api/v1/tokens")).ReadDataAsync();
        Assert.Equal(["with-csrf"], tokens.EnumerateArray().Select(t => t.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Session_EveryMutatingMethodAndRoute_NeedsTheCsrfToken()
    {
        var browser = await SignInAsync();
        var client = Client(browser.Secret);
        var id = Guid.NewGuid();

        await (await client.PostAsJsonAsync("/api/v1/containers", new { hostname = ContainerClient.NewHostname() }))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "CSRF_REJECTED");
        await (await client.PatchAsJsonAsync($"/api/v1/containers/{id}", new { memory_mb = 256 }))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "CSRF_REJECTED");
        await (await client.PutAsJsonAsync($"/api/v1/containers/{id}", new { })).AssertErrorAsync(HttpStatusCode.Forbidden, "CSRF_REJECTED");
        await (await client.DeleteAsync($"/api/v1/auth/sessions/{browser.SessionId}")).AssertErrorAsync(HttpStatusCode.Forbidden, "CSRF_REJECTED");
        await (await client.PostAsync("/api/v1/auth/logout", null)).AssertErrorAsync(HttpStatusCode.Forbidden, "CSRF_REJECTED");
        await (await client.PostAsync("/api/v1/no-such-route", null)).AssertErrorAsync(HttpStatusCode.Forbidden, "CSRF_REJECTED");
        Assert.Empty((await (await client.GetAsync("/api/v1/containers")).ReadDataAsync()).EnumerateArray());
    }

    [Fact]
    public async Task Session_CreateContainerWithCsrfToken_Runs()
    {
        var browser = await SignInAsync();
        var client = Client(browser.Secret, browser.CsrfToken);

        var running = await client.CreateRunningAsync();

        Assert.Equal(browser.UserId, running.GetProperty("user_id").GetGuid());
    }

    [Fact]
    public async Task Bearer_NeedsNoCsrfToken_AndWinsOverASessionCookie()
    {
        var browser = await SignInAsync();
        var (_, token) = await server.CreateUserWithTokenAsync();

        await (await server.ClientWithToken(token).PostAsJsonAsync("/api/v1/tokens", new { name = "bearer" })).ReadDataAsync(HttpStatusCode.Created);

        var both = Client(browser.Secret);
        both.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var created = await (await both.PostAsJsonAsync("/api/v1/tokens", new { name = "header-wins" })).ReadDataAsync(HttpStatusCode.Created);
        Assert.NotEqual(browser.UserId, created.GetProperty("user_id").GetGuid());

        var badHeader = Client(browser.Secret);
        badHeader.DefaultRequestHeaders.Authorization = new("Bearer", "berth_pat_nope");
        await (await badHeader.GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
    }

    [Fact]
    public async Task Logout_EndsTheSessionAtOnce_AndTheReplayedCookieIs401()
    {
        var browser = await SignInAsync();
        var client = Client(browser.Secret, browser.CsrfToken);
        await (await client.GetAsync("/api/v1/auth/session")).ReadDataAsync();

        var response = await client.PostAsync("/api/v1/auth/logout", null);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var cleared = SessionCookie(response);
        Assert.NotNull(cleared);
        Assert.StartsWith("berth_session=;", cleared, StringComparison.Ordinal);
        Assert.Contains("expires=Thu, 01 Jan 1970", cleared, StringComparison.OrdinalIgnoreCase);
        await (await Client(browser.Secret).GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        await (await Client(browser.Secret, browser.CsrfToken).PostAsJsonAsync("/api/v1/tokens", new { name = "replayed" }))
            .AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        // Signing out again (a dead cookie, no credential) still clears the cookie.
        Assert.Equal(HttpStatusCode.NoContent, (await Client(browser.Secret).PostAsync("/api/v1/auth/logout", null)).StatusCode);
    }

    [Fact]
    public async Task Login_WrongPasswordOrUnknownEmail_Is401InvalidCredentials_TheSameAnswer()
    {
        var (_, email) = await CreateUserAsync();

        var wrong = await (await LoginAsync(email, Password + "x")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_CREDENTIALS");
        var unknown = await (await LoginAsync($"{Guid.NewGuid():N}@example.com", Password))
            .AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_CREDENTIALS");

        Assert.Equal(wrong.GetProperty("message").GetString(), unknown.GetProperty("message").GetString());
        Assert.Null(SessionCookie(await LoginAsync(email, "")));
    }

    [Fact]
    public async Task Login_RepeatedFailures_LockTheAccount_AndTheRightPasswordIsRefusedWhileLocked()
    {
        var (_, email) = await CreateUserAsync();

        var locked = await Eventually.UntilAsync(
            () => LoginAsync(email, "Wrong-Password-1!"),
            r => r.StatusCode == HttpStatusCode.Forbidden,
            s_timeout,
            "the account to lock after repeated failures");
        var error = await locked.AssertErrorAsync(HttpStatusCode.Forbidden, "ACCOUNT_LOCKED");
        var retryAfter = error.GetProperty("details").GetProperty("retry_after").GetInt64();
        Assert.InRange(retryAfter, 1, 24 * 3600);
        Assert.Equal(retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture), locked.Headers.GetValues("Retry-After").Single());

        var right = await LoginAsync(email, Password);

        await right.AssertErrorAsync(HttpStatusCode.Forbidden, "ACCOUNT_LOCKED");
        Assert.Null(SessionCookie(right));
    }

    [Fact]
    public async Task Ban_RefusesTheUsersSessionWithAccountBanned_AndEndsIt()
    {
        var browser = await SignInAsync();
        var client = Client(browser.Secret, browser.CsrfToken);
        await (await client.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);

        await (await Admin.PatchAsJsonAsync($"/api/v1/users/{browser.UserId}", new { banned = true })).ReadDataAsync();

        await (await client.GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Forbidden, "ACCOUNT_BANNED");
        await (await client.PostAsJsonAsync("/api/v1/tokens", new { name = "banned" })).AssertErrorAsync(HttpStatusCode.Forbidden, "ACCOUNT_BANNED");

        // Lifting the ban does not bring the session back.
        await (await Admin.PatchAsJsonAsync($"/api/v1/users/{browser.UserId}", new { banned = false })).ReadDataAsync();
        await (await client.GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
    }

    [Fact]
    public async Task PasswordSetByAnAdmin_EndsTheUsersSessions()
    {
        var browser = await SignInAsync();

        await (await Admin.PatchAsJsonAsync($"/api/v1/users/{browser.UserId}", new { password = "Another-Horse-43!" })).ReadDataAsync();

        await (await Client(browser.Secret).GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
    }

    [Fact]
    public async Task OwnPasswordChange_EndsTheUsersOtherSessions_ButNotTheOneMakingIt()
    {
        var (_, email) = await CreateUserAsync();
        var here = await SignInWithAsync(email);
        var elsewhere = await SignInWithAsync(email);

        var changed = await Client(here.Secret, here.CsrfToken).PostAsJsonAsync("/api/v1/auth/password",
            new { current_password = Password, new_password = "Another-Horse-43!" });

        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        await (await Client(elsewhere.Secret).GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        Assert.Equal(HttpStatusCode.OK, (await Client(here.Secret).GetAsync("/api/v1/containers")).StatusCode);
    }

    [Fact]
    public async Task Login_BannedUser_Is403AccountBanned()
    {
        var (userId, email) = await CreateUserAsync();
        await (await Admin.PatchAsJsonAsync($"/api/v1/users/{userId}", new { banned = true })).ReadDataAsync();

        var response = await LoginAsync(email, Password);

        await response.AssertErrorAsync(HttpStatusCode.Forbidden, "ACCOUNT_BANNED");
        Assert.Null(SessionCookie(response));
    }

    [Fact]
    public async Task Session_AdminUser_HasTheAdminScope()
    {
        var browser = await SignInAsync("admin");

        Assert.Equal(HttpStatusCode.OK, (await Client(browser.Secret).GetAsync("/api/v1/users")).StatusCode);
    }

    [Fact]
    public async Task Sessions_ListAndEnd_TheOtherBrowsersCookieStopsWorking()
    {
        var (userId, email) = await CreateUserAsync();
        var first = await SignInWithAsync(email);
        var second = await SignInWithAsync(email);
        var client = Client(first.Secret, first.CsrfToken);

        var sessions = (await (await client.GetAsync("/api/v1/auth/sessions")).ReadDataAsync()).EnumerateArray().ToList();

        Assert.Equal([second.SessionId, first.SessionId], sessions.Select(s => s.GetProperty("id").GetGuid()));
        Assert.Equal([false, true], sessions.Select(s => s.GetProperty("current").GetBoolean()));
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/auth/sessions/{second.SessionId}")).StatusCode);
        await (await Client(second.Secret).GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        await (await client.DeleteAsync($"/api/v1/auth/sessions/{second.SessionId}")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        // Another user's session is not yours to end.
        var stranger = await SignInAsync();
        await (await Client(stranger.Secret, stranger.CsrfToken).DeleteAsync($"/api/v1/auth/sessions/{first.SessionId}"))
            .AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal(userId, (await (await client.GetAsync("/api/v1/auth/session")).ReadDataAsync()).GetProperty("user").GetProperty("id").GetGuid());
    }

    private async Task<Browser> SignInWithAsync(string email)
    {
        var response = await LoginAsync(email, Password);
        var data = await response.ReadDataAsync();
        var secret = SessionCookie(response)!.Split(';')[0]["berth_session=".Length..];
        return new Browser(data.GetProperty("user").GetProperty("id").GetGuid(), data.GetProperty("session_id").GetGuid(),
            secret, data.GetProperty("csrf_token").GetString()!, data);
    }

    [Fact]
    public async Task AuthSession_WithABearerToken_ShowsTheUserAndNoSession()
    {
        var (userId, client) = await server.CreateUserClientAsync();

        var data = await (await client.GetAsync("/api/v1/auth/session")).ReadDataAsync();

        Assert.Equal(userId, data.GetProperty("user").GetProperty("id").GetGuid());
        Assert.Equal("token", data.GetProperty("credential").GetString());
        Assert.Equal(JsonValueKind.Null, data.GetProperty("csrf_token").ValueKind);
    }

    [Fact]
    public async Task Audit_SessionRequest_CarriesTheSessionIdAsTokenId_AndNeverTheCookieOrCsrfToken()
    {
        var browser = await SignInAsync();
        await (await Client(browser.Secret, browser.CsrfToken).PostAsJsonAsync("/api/v1/tokens", new { name = "audited" }))
            .ReadDataAsync(HttpStatusCode.Created);
        await (await Client(browser.Secret).PostAsJsonAsync("/api/v1/tokens", new { name = "refused" }))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "CSRF_REJECTED");

        var text = await Eventually.UntilAsync(
            async () => await (await Admin.GetAsync($"/api/v1/audit?user_id={browser.UserId}&limit=100")).Content.ReadAsStringAsync(),
            t => JsonDocument.Parse(t).RootElement.GetProperty("data").GetArrayLength() >= 2,
            s_timeout,
            "the session's audit entries");

        var entries = JsonDocument.Parse(text).RootElement.GetProperty("data").EnumerateArray().ToList();
        Assert.All(entries, e => Assert.Equal(browser.SessionId, e.GetProperty("token_id").GetGuid()));
        Assert.Contains(entries, e => e.GetProperty("status").GetInt32() == 201);
        Assert.Contains(entries, e => e.GetProperty("error_code").GetString() == "CSRF_REJECTED");
        Assert.DoesNotContain(browser.Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(browser.CsrfToken, text, StringComparison.Ordinal);
        // Nor is either kept in clear anywhere in the database.
        foreach (var file in Directory.GetFiles(server.DataDirectory, "berth.db*"))
        {
            var bytes = await ReadSharedAsync(file);
            Assert.DoesNotContain(browser.Secret, bytes, StringComparison.Ordinal);
            Assert.DoesNotContain(browser.CsrfToken, bytes, StringComparison.Ordinal);
        }
    }

    private static async Task<string> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.Latin1);
        return await reader.ReadToEndAsync();
    }

    [Fact]
    public async Task Terminal_SessionWebSocket_WorksFromTheServersOrigin_AndIsRefusedWithoutOrFromAnother()
    {
        var browser = await SignInAsync();
        var container = (await Client(browser.Secret, browser.CsrfToken).CreateRunningAsync()).Id();
        var uri = new Uri($"ws://localhost/api/v1/containers/{container}/terminal");

        await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(uri, browser.Secret, origin: null));
        await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(uri, browser.Secret, origin: "https://evil.example"));
        using var socket = await ConnectAsync(uri, browser.Secret, origin: "http://localhost");
        var marker = Guid.NewGuid().ToString("N");
        await socket.SendAsync(Encoding.UTF8.GetBytes($"echo hi-\"\"{marker}\r"), WebSocketMessageType.Binary, true, Timeout());

        var screen = new StringBuilder();
        var buffer = new byte[4096];
        while (!screen.ToString().Contains($"hi-{marker}", StringComparison.Ordinal))
        {
            var frame = await socket.ReceiveAsync(buffer, Timeout());
            Assert.NotEqual(WebSocketMessageType.Close, frame.MessageType);
            screen.Append(Encoding.UTF8.GetString(buffer, 0, frame.Count));
        }
    }

    private Task<WebSocket> ConnectAsync(Uri uri, string secret, string? origin)
    {
        var client = server.Server.CreateWebSocketClient();
        client.ConfigureRequest = request =>
        {
            request.Headers.Cookie = $"berth_session={secret}";
            if (origin is not null)
            {
                request.Headers.Origin = origin;
            }
        };
        return client.ConnectAsync(uri, Timeout());
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(s_timeout).Token;
}
