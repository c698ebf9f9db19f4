using System.Net;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests.Oauth;

/// <summary>Access tokens end with their lifetime (<c>Berth:Oauth:AccessTokenLifetime</c>), cached or not.</summary>
public sealed class OauthExpiryTests
{
    [Fact]
    public async Task AccessToken_PastItsLifetime_Answers401TokenExpired()
    {
        await using var server = new BerthServer(null, null, new Dictionary<string, string?>
        {
            ["Berth:Oauth:AccessTokenLifetime"] = "00:00:02",
        });
        var app = await server.AdminClient.RegisterAsync("confidential", ["client_credentials"], ["read"]);
        var token = await (await server.Anonymous.ClientCredentialsAsync(
            app.GetProperty("client_id").GetString()!, app.GetProperty("client_secret").GetString()!)).ReadTokenAsync();
        Assert.InRange(token.GetProperty("expires_in").GetInt32(), 1, 2);
        var api = server.ClientWithToken(token.AccessToken());
        await (await api.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);

        var expired = await Eventually.UntilAsync(
            () => api.GetAsync("/api/v1/containers"),
            response => response.StatusCode != HttpStatusCode.OK,
            TimeSpan.FromSeconds(30),
            "the access token to expire");

        await expired.AssertErrorAsync(HttpStatusCode.Unauthorized, "TOKEN_EXPIRED");
    }
}
