using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests.Authentication;

/// <summary>Servers of their own: a short access-token lifetime, a restart on the same data directory, the login limit.</summary>
public sealed class JwtLifetimeTests
{
    [Fact]
    public async Task AccessToken_AfterItsLifetime_Returns401TokenExpired_AndARefreshRenewsIt()
    {
        await using var server = new BerthServer(null, null, new Dictionary<string, string?>
        {
            ["Berth:Jwt:AccessTokenLifetime"] = "00:00:02",
            ["Berth:Jwt:ClockSkew"] = "00:00:00",
        });
        var (_, email) = await server.CreateUserAsync();
        var grant = await server.SignInAsync(email);
        var client = server.ClientWithToken(grant.AccessToken());

        var expired = await Eventually.UntilAsync(
            () => client.GetAsync("/api/v1/containers"),
            r => r.StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(30), "the access token to expire");

        await expired.AssertErrorAsync(HttpStatusCode.Unauthorized, "TOKEN_EXPIRED");
        Assert.Equal(2, grant.GetProperty("expires_in").GetInt32());
        var renewed = await server.RefreshAsync(grant.RefreshToken());
        await (await server.ClientWithToken(renewed.AccessToken()).GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task TokenEndpoint_IsUnderTheLoginLimit()
    {
        await using var server = new BerthServer(null, null, new Dictionary<string, string?>
        {
            ["Berth:RateLimits:LoginAttempts"] = "2",
            ["Berth:RateLimits:LoginWindow"] = "00:05:00",
        });
        var (_, email) = await server.CreateUserAsync();

        await server.SignInAsync(email);
        await (await server.RequestTokenAsync(new { email, password = "wrong password" }))
            .AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_CREDENTIALS");
        var refused = await server.RequestTokenAsync(new { email, password = SignIn.Password });

        await refused.AssertErrorAsync(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
    }

    [Fact]
    public async Task SigningKey_SurvivesARestart()
    {
        var dataDirectory = BerthServer.NewDataDirectory();
        try
        {
            string accessToken;
            string refreshToken;
            await using (var first = new BerthServer(dataDirectory, null, null))
            {
                var (_, email) = await first.CreateUserAsync();
                var grant = await first.SignInAsync(email);
                (accessToken, refreshToken) = (grant.AccessToken(), grant.RefreshToken());
            }

            // The private key is stored only as Data Protection ciphertext.
            using var stored = JsonDocument.Parse(File.ReadAllText(Path.Combine(dataDirectory, "jwt-signing-key.json")));
            var protectedKey = Convert.FromBase64String(stored.RootElement.GetProperty("ProtectedPrivateKey").GetString()!);
            using var rsa = RSA.Create();
            Assert.ThrowsAny<CryptographicException>(() => rsa.ImportPkcs8PrivateKey(protectedKey, out _));

            await using var second = new BerthServer(dataDirectory, null, null);
            var response = await second.ClientWithToken(accessToken).GetAsync("/api/v1/containers");

            await response.ReadJsonAsync(HttpStatusCode.OK);
            await second.RefreshAsync(refreshToken);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
