using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace Berth.Api.Tests.Oauth;

/// <summary>The OAuth calls a client makes, over plain HTTP like any program would (no browser).</summary>
public static class OauthClient
{
    public const string RedirectUri = "http://127.0.0.1:53682/callback";

    /// <summary>An admin registers a client; returns its answer (client_id, client_secret once).</summary>
    public static async Task<JsonElement> RegisterAsync(
        this HttpClient admin, string type, string[] grantTypes, string[] scopes, string[]? redirectUris = null, Guid? userId = null)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/oauth/applications", new
        {
            name = $"app {Guid.NewGuid():N}"[..12],
            type,
            grant_types = grantTypes,
            scopes,
            redirect_uris = redirectUris,
            user_id = userId,
        });
        return await response.ReadDataAsync(HttpStatusCode.Created);
    }

    public static Task<JsonElement> RegisterPublicAppAsync(this HttpClient admin, params string[] scopes) =>
        admin.RegisterAsync("public", ["authorization_code", "refresh_token"], scopes, [RedirectUri]);

    /// <summary>A PKCE pair: a random verifier and its S256 challenge.</summary>
    public static (string Verifier, string Challenge) NewPkce()
    {
        var verifier = Base64UrlTextEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64UrlTextEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    /// <summary>GET /connect/authorize as <paramref name="user"/>; the raw answer.</summary>
    public static Task<HttpResponseMessage> AuthorizeAsync(this HttpClient user, string clientId, string challenge, string? scope, string state = "s1")
    {
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = clientId,
            ["redirect_uri"] = RedirectUri,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
            ["state"] = state,
        };
        if (scope is not null)
        {
            query["scope"] = scope;
        }
        return user.GetAsync(QueryHelpers.AddQueryString("/connect/authorize", query));
    }

    /// <summary>The code from an authorize answer that redirected back to the client.</summary>
    public static string CodeFrom(HttpResponseMessage response, string state = "s1")
    {
        Assert.True(response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location is not null,
            $"expected a redirect, got {(int)response.StatusCode}");
        var location = response.Headers.Location!;
        Assert.StartsWith(RedirectUri, location.GetLeftPart(UriPartial.Path));
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal(state, query["state"].ToString());
        Assert.True(query.ContainsKey("code"), $"no code in {location}");
        return query["code"].ToString();
    }

    public static Task<HttpResponseMessage> TokenAsync(this HttpClient client, Dictionary<string, string> form) =>
        client.PostAsync("/connect/token", new FormUrlEncodedContent(form));

    public static Task<HttpResponseMessage> RedeemCodeAsync(this HttpClient client, string clientId, string code, string verifier) =>
        client.TokenAsync(new()
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = clientId,
            ["code"] = code,
            ["redirect_uri"] = RedirectUri,
            ["code_verifier"] = verifier,
        });

    public static Task<HttpResponseMessage> RefreshAsync(this HttpClient client, string clientId, string refreshToken) =>
        client.TokenAsync(new() { ["grant_type"] = "refresh_token", ["client_id"] = clientId, ["refresh_token"] = refreshToken });

    public static Task<HttpResponseMessage> ClientCredentialsAsync(this HttpClient client, string clientId, string secret, string? scope = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret };
        if (scope is not null)
        {
            form["scope"] = scope;
        }
        return client.TokenAsync(form);
    }

    /// <summary>Asserts a 200 token answer and returns it.</summary>
    public static async Task<JsonElement> ReadTokenAsync(this HttpResponseMessage response)
    {
        var json = await response.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Bearer", json.GetProperty("token_type").GetString());
        return json;
    }

    /// <summary>Asserts an OAuth error answer (RFC 6749 §5.2) with <paramref name="error"/>.</summary>
    public static async Task AssertOauthErrorAsync(this HttpResponseMessage response, HttpStatusCode status, string error)
    {
        var json = await response.ReadJsonAsync(status);
        Assert.Equal(error, json.GetProperty("error").GetString());
    }

    public static string AccessToken(this JsonElement token) => token.GetProperty("access_token").GetString()!;

    public static string[] GrantedScopes(this JsonElement token) =>
        token.GetProperty("scope").GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
