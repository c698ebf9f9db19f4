using System.Net;
using Berth.Api.Tests.Infrastructure;
using Berth.Core.Accounts;

namespace Berth.Api.Tests.Oauth;

/// <summary>The OAuth keys and revocations outlive the process that made them.</summary>
public sealed class OauthRestartTests
{
    [Fact]
    public async Task Restart_IssuedTokensStillWork_RevokedOnesStayRevoked()
    {
        var dataDirectory = BerthServer.NewDataDirectory();
        var adminToken = TokenHasher.Generate();
        try
        {
            string kept, revoked, keyId;
            await using (var first = new BerthServer(dataDirectory, adminToken, null))
            {
                var app = await first.AdminClient.RegisterAsync("confidential", ["client_credentials"], ["read"]);
                var clientId = app.GetProperty("client_id").GetString()!;
                var secret = app.GetProperty("client_secret").GetString()!;
                kept = (await (await first.Anonymous.ClientCredentialsAsync(clientId, secret)).ReadTokenAsync()).AccessToken();
                revoked = (await (await first.Anonymous.ClientCredentialsAsync(clientId, secret)).ReadTokenAsync()).AccessToken();
                var revocation = await first.Anonymous.PostAsync("/connect/revocation", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["token"] = revoked, ["client_id"] = clientId, ["client_secret"] = secret,
                }));
                Assert.Equal(HttpStatusCode.OK, revocation.StatusCode);
                keyId = await SigningKeyIdAsync(first);
            }

            await using var second = new BerthServer(dataDirectory, adminToken, null);

            Assert.Equal(keyId, await SigningKeyIdAsync(second));
            await (await second.ClientWithToken(kept).GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);
            await (await second.ClientWithToken(revoked).GetAsync("/api/v1/containers")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_TOKEN");
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static async Task<string> SigningKeyIdAsync(BerthServer server)
    {
        var jwks = await (await server.Anonymous.GetAsync("/.well-known/jwks")).ReadJsonAsync(HttpStatusCode.OK);
        return Assert.Single(jwks.GetProperty("keys").EnumerateArray()).GetProperty("kid").GetString()!;
    }
}
