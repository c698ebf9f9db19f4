using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace Berth.Api.Tests.Oauth;

/// <summary>Berth as an OAuth 2.0 authorization server, through HTTP only: both flows, scopes and revocation.</summary>
public sealed class OauthApiTests(BerthServer server) : IClassFixture<BerthServer>
{
    private HttpClient Admin => server.AdminClient;

    /// <summary>A user authorizes the public client and redeems the code; returns the token answer.</summary>
    private async Task<JsonElement> AuthorizeAndRedeemAsync(HttpClient user, string clientId, string? scope)
    {
        var (verifier, challenge) = OauthClient.NewPkce();
        var code = OauthClient.CodeFrom(await user.AuthorizeAsync(clientId, challenge, scope));
        return await (await server.Anonymous.RedeemCodeAsync(clientId, code, verifier)).ReadTokenAsync();
    }

    [Fact]
    public async Task AuthorizationCode_WithPkce_GivesAnAccessTokenTheApiAccepts()
    {
        var app = await Admin.RegisterPublicAppAsync("read", "write");
        var clientId = app.GetProperty("client_id").GetString()!;
        Assert.False(app.TryGetProperty("client_secret", out var secret) && secret.ValueKind == JsonValueKind.String);
        var (_, user) = await server.CreateUserClientAsync();

        var token = await AuthorizeAndRedeemAsync(user, clientId, "read");

        Assert.Equal(["offline_access", "read"], token.GrantedScopes().Order());
        // A client that asks for offline_access itself gets the same.
        Assert.Equal(["offline_access", "read"], (await AuthorizeAndRedeemAsync(user, clientId, "read offline_access")).GrantedScopes().Order());
        var api = server.ClientWithToken(token.AccessToken());
        await (await api.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);
        // Only what was granted: write was registered but not asked for.
        var error = await (await api.PostAsJsonAsync("/api/v1/containers", new { hostname = ContainerClient.NewHostname() }))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        Assert.Equal("write", error.GetProperty("details").GetProperty("required_scope").GetString());

        // The refresh token gives a new access token that works too.
        var refreshed = await (await server.Anonymous.RefreshAsync(clientId, token.GetProperty("refresh_token").GetString()!)).ReadTokenAsync();
        Assert.NotEqual(token.AccessToken(), refreshed.AccessToken());
        await (await server.ClientWithToken(refreshed.AccessToken()).GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AccessToken_IsASignedJwtNamingItsUserClientAndScopes()
    {
        var clientId = (await Admin.RegisterPublicAppAsync("read", "deploy")).GetProperty("client_id").GetString()!;
        var (userId, user) = await server.CreateUserClientAsync();

        var token = (await AuthorizeAndRedeemAsync(user, clientId, "read deploy")).AccessToken();

        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        using var header = JsonDocument.Parse(Base64UrlTextEncoder.Decode(parts[0]));
        using var payload = JsonDocument.Parse(Base64UrlTextEncoder.Decode(parts[1]));
        Assert.Equal("at+jwt", header.RootElement.GetProperty("typ").GetString());
        Assert.Equal("RS256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal(userId.ToString(), payload.RootElement.GetProperty("sub").GetString());
        Assert.Equal(clientId, payload.RootElement.GetProperty("client_id").GetString());
        Assert.Equal(["deploy", "offline_access", "read"], payload.RootElement.GetProperty("scope").GetString()!.Split(' ').Order());
    }

    [Fact]
    public async Task AccessToken_CannotManageCredentialsOrGrants()
    {
        var clientId = (await Admin.RegisterPublicAppAsync("read", "write")).GetProperty("client_id").GetString()!;
        var (_, user) = await server.CreateUserClientAsync();
        var api = server.ClientWithToken((await AuthorizeAndRedeemAsync(user, clientId, "read write")).AccessToken());

        // A token minted here would outlive a revocation of the application.
        await (await api.PostAsJsonAsync("/api/v1/tokens", new { name = "escape" })).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        await (await api.GetAsync("/api/v1/oauth/authorizations")).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
        Assert.DoesNotContain("escape", (await (await user.GetAsync("/api/v1/tokens")).ReadDataAsync()).EnumerateArray()
            .Select(t => t.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task AuthorizationCode_WrongVerifier_IsRefused()
    {
        var clientId = (await Admin.RegisterPublicAppAsync("read")).GetProperty("client_id").GetString()!;
        var (_, user) = await server.CreateUserClientAsync();
        var (_, challenge) = OauthClient.NewPkce();
        var code = OauthClient.CodeFrom(await user.AuthorizeAsync(clientId, challenge, "read"));

        var response = await server.Anonymous.RedeemCodeAsync(clientId, code, OauthClient.NewPkce().Verifier);

        await response.AssertOauthErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task Authorize_WithoutPkce_IsRefused()
    {
        var clientId = (await Admin.RegisterPublicAppAsync("read")).GetProperty("client_id").GetString()!;
        var (_, user) = await server.CreateUserClientAsync();

        var response = await user.GetAsync(
            $"/connect/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(OauthClient.RedirectUri)}&scope=read&state=s1");

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {response.Headers.Location}: {body}");
        Assert.Contains("code_challenge", body);
    }

    [Fact]
    public async Task Authorize_WithoutACredential_Answers401InTheEnvelope()
    {
        var clientId = (await Admin.RegisterPublicAppAsync("read")).GetProperty("client_id").GetString()!;

        var response = await server.Anonymous.AuthorizeAsync(clientId, OauthClient.NewPkce().Challenge, "read");

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "MISSING_TOKEN");
    }

    [Fact]
    public async Task Scopes_NeverExceedTheUsers()
    {
        var clientId = (await Admin.RegisterPublicAppAsync("read", "write", "admin")).GetProperty("client_id").GetString()!;
        var (_, user) = await server.CreateUserClientAsync();

        // A user who is not an admin asks for admin: the grant leaves it out.
        var token = await AuthorizeAndRedeemAsync(user, clientId, "read admin");

        Assert.Equal(["offline_access", "read"], token.GrantedScopes().Order());
        var api = server.ClientWithToken(token.AccessToken());
        await (await api.GetAsync("/api/v1/users")).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
    }

    [Fact]
    public async Task Refresh_AfterTheUserWasDemoted_LosesAdmin()
    {
        var clientId = (await Admin.RegisterPublicAppAsync("read", "admin")).GetProperty("client_id").GetString()!;
        var (userId, user) = await server.CreateUserClientAsync("admin");
        var token = await AuthorizeAndRedeemAsync(user, clientId, "read admin");
        Assert.Contains("admin", token.GrantedScopes());

        await (await Admin.PatchAsJsonAsync($"/api/v1/users/{userId}", new { role = "user" })).ReadDataAsync();
        var refreshed = await (await server.Anonymous.RefreshAsync(clientId, token.GetProperty("refresh_token").GetString()!)).ReadTokenAsync();

        Assert.Equal(["offline_access", "read"], refreshed.GrantedScopes().Order());
    }

    [Fact]
    public async Task Scopes_NeverExceedTheCredentialThatAuthorized()
    {
        var clientId = (await Admin.RegisterPublicAppAsync("read", "write")).GetProperty("client_id").GetString()!;
        var (userId, _) = await server.CreateUserClientAsync();
        var minted = await (await Admin.PostAsJsonAsync($"/api/v1/users/{userId}/tokens", new { name = "read only", scopes = new[] { "read" } }))
            .ReadDataAsync(HttpStatusCode.Created);
        var readOnly = server.ClientWithToken(minted.GetProperty("token").GetString()!);

        var token = await AuthorizeAndRedeemAsync(readOnly, clientId, "read write");

        Assert.DoesNotContain("write", token.GrantedScopes());
    }

    [Fact]
    public async Task Discovery_ListsTheEndpointsAndKeys()
    {
        var document = await (await server.Anonymous.GetAsync("/.well-known/openid-configuration")).ReadJsonAsync(HttpStatusCode.OK);

        var issuer = document.GetProperty("issuer").GetString()!;
        Assert.True(Uri.IsWellFormedUriString(issuer, UriKind.Absolute), issuer);
        Assert.EndsWith("/connect/authorize", document.GetProperty("authorization_endpoint").GetString());
        Assert.EndsWith("/connect/token", document.GetProperty("token_endpoint").GetString());
        Assert.EndsWith("/connect/revocation", document.GetProperty("revocation_endpoint").GetString());
        Assert.Equal(["S256"], document.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()));
        var grants = document.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Superset(new HashSet<string?> { "authorization_code", "client_credentials", "refresh_token" }, grants.ToHashSet());
        var scopes = document.GetProperty("scopes_supported").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Superset(new HashSet<string?> { "read", "write", "exec", "deploy", "admin" }, scopes.ToHashSet());

        var jwksPath = new Uri(document.GetProperty("jwks_uri").GetString()!).AbsolutePath;
        var jwks = await (await server.Anonymous.GetAsync(jwksPath)).ReadJsonAsync(HttpStatusCode.OK);
        var key = Assert.Single(jwks.GetProperty("keys").EnumerateArray());
        Assert.Equal("RSA", key.GetProperty("kty").GetString());
        Assert.False(key.TryGetProperty("d", out _), "the private key must never be published");
    }

    [Fact]
    public async Task Authorizations_UserListsAndRevokes_TheTokensStopWorking()
    {
        var app = await Admin.RegisterPublicAppAsync("read");
        var clientId = app.GetProperty("client_id").GetString()!;
        var (_, user) = await server.CreateUserClientAsync();
        var token = await AuthorizeAndRedeemAsync(user, clientId, "read");
        // Authorizing again reuses the recorded authorization.
        await AuthorizeAndRedeemAsync(user, clientId, "read");
        var api = server.ClientWithToken(token.AccessToken());
        await (await api.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);

        var listed = await (await user.GetAsync("/api/v1/oauth/authorizations")).ReadDataAsync();
        var authorization = Assert.Single(listed.EnumerateArray());
        Assert.Equal(clientId, authorization.GetProperty("client_id").GetString());
        Assert.Equal(app.GetProperty("name").GetString(), authorization.GetProperty("application_name").GetString());
        Assert.Equal(["read"], authorization.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.NotEqual(JsonValueKind.Null, authorization.GetProperty("created_at").ValueKind);

        var (_, stranger) = await server.CreateUserClientAsync();
        var id = authorization.GetProperty("id").GetString()!;
        await (await stranger.DeleteAsync($"/api/v1/oauth/authorizations/{id}")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal(HttpStatusCode.NoContent, (await user.DeleteAsync($"/api/v1/oauth/authorizations/{id}")).StatusCode);

        await (await api.GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        await (await server.Anonymous.RefreshAsync(clientId, token.GetProperty("refresh_token").GetString()!))
            .AssertOauthErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
        Assert.Empty((await (await user.GetAsync("/api/v1/oauth/authorizations")).ReadDataAsync()).EnumerateArray());
    }

    [Fact]
    public async Task RevokingAnAuthorization_EndsTheEventStreamsOfItsTokens()
    {
        var clientId = (await Admin.RegisterPublicAppAsync("read")).GetProperty("client_id").GetString()!;
        var (_, user) = await server.CreateUserClientAsync();
        var api = server.ClientWithToken((await AuthorizeAndRedeemAsync(user, clientId, "read")).AccessToken());
        using var events = await RateLimits.Streams.OpenOkAsync(api, "/api/v1/events");
        var id = Assert.Single((await (await user.GetAsync("/api/v1/oauth/authorizations")).ReadDataAsync()).EnumerateArray())
            .GetProperty("id").GetString();

        Assert.Equal(HttpStatusCode.NoContent, (await user.DeleteAsync($"/api/v1/oauth/authorizations/{id}")).StatusCode);

        await RateLimits.Streams.AssertEndsAsync(events, "the event stream of a revoked authorization's token");
    }

    [Fact]
    public async Task ClientCredentials_DeployOnly_CanDeployAndNothingElse()
    {
        var (serviceUserId, _) = await server.CreateUserClientAsync();
        var project = (await (await Admin.PostAsJsonAsync("/api/v1/projects", new { name = "ci" })).ReadDataAsync(HttpStatusCode.Created))
            .GetProperty("id").GetString()!;
        await (await Admin.PostAsJsonAsync($"/api/v1/projects/{project}/members", new { user_id = serviceUserId, role = "operator" }))
            .ReadDataAsync(HttpStatusCode.Created);
        var box = await Admin.CreateRunningAsync(new { hostname = ContainerClient.NewHostname("ci"), project_id = project });
        var app = await Admin.RegisterAsync("confidential", ["client_credentials"], ["deploy"], userId: serviceUserId);
        Assert.Equal(serviceUserId, app.GetProperty("user_id").GetGuid());

        var token = await (await server.Anonymous.ClientCredentialsAsync(
            app.GetProperty("client_id").GetString()!, app.GetProperty("client_secret").GetString()!)).ReadTokenAsync();
        Assert.Equal(["deploy"], token.GrantedScopes());
        Assert.False(token.TryGetProperty("refresh_token", out _));
        var ci = server.ClientWithToken(token.AccessToken());

        var deployment = await (await ci.PostAsJsonAsync($"/api/v1/containers/{box.Id()}/deploy", new { image = "berth/busybox:latest" }))
            .ReadDataAsync(HttpStatusCode.Accepted);
        Assert.Equal(serviceUserId.ToString(), deployment.GetProperty("actor").GetString());
        foreach (var (response, scope) in new[]
        {
            (await ci.PostAsync($"/api/v1/containers/{box.Id()}/stop", null), "write"),
            (await ci.DeleteAsync($"/api/v1/containers/{box.Id()}"), "write"),
            (await ci.PostAsJsonAsync($"/api/v1/containers/{box.Id()}/commands", new { command = "ls" }), "exec"),
            (await ci.GetAsync($"/api/v1/containers/{box.Id()}"), "read"),
        })
        {
            var error = await response.AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
            Assert.Equal($"This token lacks the '{scope}' scope", error.GetProperty("message").GetString());
        }
        await Admin.WaitForStateAsync(box.Id(), "running");
    }

    [Fact]
    public async Task ClientCredentials_WrongSecret_IsRefused()
    {
        var app = await Admin.RegisterAsync("confidential", ["client_credentials"], ["read"]);

        var response = await server.Anonymous.ClientCredentialsAsync(app.GetProperty("client_id").GetString()!, "not-the-secret");

        await response.AssertOauthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Fact]
    public async Task DeleteApplication_KillsItsTokens()
    {
        var app = await Admin.RegisterAsync("confidential", ["client_credentials"], ["read"]);
        var clientId = app.GetProperty("client_id").GetString()!;
        var secret = app.GetProperty("client_secret").GetString()!;
        var api = server.ClientWithToken((await (await server.Anonymous.ClientCredentialsAsync(clientId, secret)).ReadTokenAsync()).AccessToken());
        await (await api.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);
        // The client may also authenticate with HTTP Basic (client_secret_basic).
        using var basic = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        var viaBasic = server.ClientWithToken((await (await server.Anonymous.SendAsync(basic)).ReadTokenAsync()).AccessToken());
        await (await viaBasic.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);
        var listed = await (await Admin.GetAsync("/api/v1/oauth/applications")).ReadDataAsync();
        Assert.Contains(clientId, listed.EnumerateArray().Select(a => a.GetProperty("client_id").GetString()));

        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"/api/v1/oauth/applications/{clientId}")).StatusCode);

        await (await api.GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        await (await viaBasic.GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        await (await server.Anonymous.ClientCredentialsAsync(clientId, secret)).AssertOauthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        await (await Admin.GetAsync($"/api/v1/oauth/applications/{clientId}")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task AccessToken_OfABannedUser_Answers403()
    {
        var clientId = (await Admin.RegisterPublicAppAsync("read")).GetProperty("client_id").GetString()!;
        var (userId, user) = await server.CreateUserClientAsync();
        var api = server.ClientWithToken((await AuthorizeAndRedeemAsync(user, clientId, "read")).AccessToken());

        await (await Admin.PatchAsJsonAsync($"/api/v1/users/{userId}", new { banned = true })).ReadDataAsync();

        await (await api.GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Forbidden, "ACCOUNT_BANNED");
    }

    [Fact]
    public async Task AccessToken_Tampered_Answers401InvalidToken()
    {
        var clientId = (await Admin.RegisterPublicAppAsync("read")).GetProperty("client_id").GetString()!;
        var (_, user) = await server.CreateUserClientAsync();
        var token = (await AuthorizeAndRedeemAsync(user, clientId, "read")).AccessToken();
        var parts = token.Split('.');
        var forged = $"{parts[0]}.{parts[1]}.{new string('A', parts[2].Length)}";

        await (await server.ClientWithToken(forged).GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        await (await server.ClientWithToken("not-a-jwt").GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
    }

    [Fact]
    public async Task RevocationEndpoint_RevokedAccessToken_StopsWorking()
    {
        var app = await Admin.RegisterAsync("confidential", ["client_credentials"], ["read"]);
        var clientId = app.GetProperty("client_id").GetString()!;
        var secret = app.GetProperty("client_secret").GetString()!;
        var accessToken = (await (await server.Anonymous.ClientCredentialsAsync(clientId, secret)).ReadTokenAsync()).AccessToken();
        var api = server.ClientWithToken(accessToken);
        await (await api.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);

        var revoked = await server.Anonymous.PostAsync("/connect/revocation", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = accessToken, ["client_id"] = clientId, ["client_secret"] = secret,
        }));

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        await (await api.GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
    }

    [Theory]
    [InlineData("public", new[] { "client_credentials" }, new[] { "read" }, null, "grant_types")]
    [InlineData("confidential", new[] { "authorization_code" }, new[] { "read" }, null, "redirect_uris")]
    [InlineData("confidential", new[] { "authorization_code" }, new[] { "read" }, "http://example.com/cb", "redirect_uris")]
    [InlineData("confidential", new[] { "client_credentials" }, new[] { "everything" }, null, "scopes")]
    [InlineData("secret", new[] { "client_credentials" }, new[] { "read" }, null, "type")]
    [InlineData("confidential", new[] { "password" }, new[] { "read" }, null, "grant_types")]
    public async Task RegisterApplication_Invalid_Returns400NamingTheField(
        string type, string[] grants, string[] scopes, string? redirectUri, string field)
    {
        var response = await Admin.PostAsJsonAsync("/api/v1/oauth/applications", new
        {
            name = "bad",
            type,
            grant_types = grants,
            scopes,
            redirect_uris = redirectUri is null ? null : new[] { redirectUri },
        });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal([field], error.Fields());
    }

    [Fact]
    public async Task RegisterApplication_ServiceAccountWithMoreThanItsUser_Returns400()
    {
        var (userId, _) = await server.CreateUserClientAsync();

        var response = await Admin.PostAsJsonAsync("/api/v1/oauth/applications", new
        {
            name = "too much", type = "confidential", grant_types = new[] { "client_credentials" }, scopes = new[] { "admin" }, user_id = userId,
        });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["scopes"], error.Fields());
    }

    [Fact]
    public async Task Applications_AreForAdminsOnly()
    {
        var (_, user) = await server.CreateUserClientAsync();

        await (await user.GetAsync("/api/v1/oauth/applications")).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_PERMISSIONS");
    }
}
