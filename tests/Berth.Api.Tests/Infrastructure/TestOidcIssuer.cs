using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Berth.Api.Tests.Infrastructure;

/// <summary>
/// A tiny OpenID Connect provider on 127.0.0.1: a discovery document, a JWKS with one RSA key, and
/// tokens signed with it (or with any other key, to be refused).
/// </summary>
public sealed class TestOidcIssuer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly JsonWebTokenHandler _handler = new();

    private TestOidcIssuer(WebApplication app, RsaSecurityKey key, string issuer)
    {
        _app = app;
        Key = key;
        Issuer = issuer;
    }

    /// <summary>The issuer URL, with a trailing slash, as its tokens name it.</summary>
    public string Issuer { get; }

    /// <summary>The key its JWKS publishes.</summary>
    public RsaSecurityKey Key { get; }

    public static RsaSecurityKey NewKey(string keyId) => new(RSA.Create(2048)) { KeyId = keyId };

    public static async Task<TestOidcIssuer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var key = NewKey("test-issuer-key");
        string? issuer = null;
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new
        {
            issuer,
            jwks_uri = issuer + "jwks",
            id_token_signing_alg_values_supported = new[] { SecurityAlgorithms.RsaSha256 },
        }));
        app.MapGet("/jwks", () =>
        {
            // Only the public half: a JWK converted from the private key would carry "d".
            var parameters = key.Rsa.ExportParameters(includePrivateParameters: false);
            return Results.Json(new
            {
                keys = new[]
                {
                    new
                    {
                        kty = "RSA", use = "sig", alg = SecurityAlgorithms.RsaSha256, kid = key.KeyId,
                        n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent),
                    },
                },
            });
        });
        await app.StartAsync();
        issuer = app.Urls.Single().TrimEnd('/') + "/";
        return new TestOidcIssuer(app, key, issuer);
    }

    /// <summary>A token from this issuer with <paramref name="claims"/>, valid from now for <paramref name="lifetime"/> (default 5 min).</summary>
    public string CreateToken(
        IDictionary<string, object> claims, string audience, RsaSecurityKey? signingKey = null, TimeSpan? lifetime = null)
    {
        var now = DateTime.UtcNow;
        var expires = now + (lifetime ?? TimeSpan.FromMinutes(5));
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            IssuedAt = expires < now ? expires.AddMinutes(-5) : now,
            NotBefore = expires < now ? expires.AddMinutes(-5) : now,
            Expires = expires,
            Claims = claims,
            SigningCredentials = new SigningCredentials(signingKey ?? Key, SecurityAlgorithms.RsaSha256),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Key.Rsa.Dispose();
    }
}
