using Berth.Core.Accounts;
using Berth.Data;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Berth.Server.Oauth;

/// <summary>
/// Berth as an OAuth 2.0 authorization server (OpenIddict): authorization code with PKCE (S256) for
/// applications acting for a user, client credentials for machines, refresh tokens; applications,
/// authorizations and tokens in Berth's database.
/// </summary>
internal static class OauthSetup
{
    public static IHostApplicationBuilder AddBerthOauth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OauthOptions>().BindConfiguration(OauthOptions.Section)
            .Validate(o => o.AccessTokenLifetime > TimeSpan.Zero && o.RefreshTokenLifetime > TimeSpan.Zero,
                $"{OauthOptions.Section}:AccessTokenLifetime and RefreshTokenLifetime must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<OauthKeys>();
        builder.Services.AddSingleton<OauthAccessTokens>();
        builder.Services.AddScoped<OauthApplications>();
        builder.Services.AddScoped<OauthAuthorizations>();
        builder.Services.AddScoped<OauthStreams>();
        builder.Services.AddHostedService<OauthPruning>();

        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseBerthStore())
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris(ConnectEndpoints.AuthorizePath.TrimStart('/'))
                    .SetTokenEndpointUris(ConnectEndpoints.TokenPath.TrimStart('/'))
                    .SetRevocationEndpointUris("connect/revocation");
                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange()
                    .AllowClientCredentialsFlow()
                    .AllowRefreshTokenFlow();
                server.RegisterScopes(OauthScopes.Registered);
                // Plain signed JWTs: the API checks a signature (once per token, see OauthAccessTokens), nothing to decrypt.
                server.DisableAccessTokenEncryption();
                server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough();
                server.AddEventHandler<HandleRevocationRequestContext>(handler => handler
                    .UseSingletonHandler<ForgetRevokedToken>()
                    // Once the token is known, before OpenIddict changes the store: no request sees the token
                    // revoked there but still cached here.
                    .SetOrder(OpenIddictServerHandlers.Revocation.AttachPrincipal.Descriptor.Order + 1));
            });
        // Issuer, keys, lifetimes and transport rules come from configuration and the data directory,
        // which are only known once the host is built.
        builder.Services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>, ConfigureServer>();
        builder.Services.AddSingleton<IConfigureOptions<OpenIddictServerAspNetCoreOptions>, ConfigureTransport>();
        return builder;
    }

    public static WebApplication MapBerthOauth(this WebApplication app)
    {
        app.MapConnectEndpoints();
        app.MapOauthApi();
        return app;
    }

    private sealed class ConfigureServer(IOptions<OauthOptions> oauth, IConfiguration configuration, OauthKeys keys)
        : IConfigureOptions<OpenIddictServerOptions>
    {
        public void Configure(OpenIddictServerOptions options)
        {
            options.Issuer = OauthOptions.ResolveIssuer(oauth.Value, configuration);
            options.AccessTokenLifetime = oauth.Value.AccessTokenLifetime;
            options.RefreshTokenLifetime = oauth.Value.RefreshTokenLifetime;
            options.SigningCredentials.Add(new SigningCredentials(keys.SigningKey, SecurityAlgorithms.RsaSha256));
            options.EncryptionCredentials.Add(new EncryptingCredentials(
                keys.EncryptionKey, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
            // PKCE with S256 only: "plain" would let an intercepted code be redeemed.
            options.CodeChallengeMethods.Clear();
            options.CodeChallengeMethods.Add(CodeChallengeMethods.Sha256);
        }
    }

    private sealed class ConfigureTransport(IOptions<OauthOptions> oauth, IConfiguration configuration)
        : IConfigureOptions<OpenIddictServerAspNetCoreOptions>
    {
        public void Configure(OpenIddictServerAspNetCoreOptions options) =>
            options.DisableTransportSecurityRequirement = oauth.Value.AllowsHttp(OauthOptions.ResolveIssuer(oauth.Value, configuration));
    }

    /// <summary>A token revoked at <c>/connect/revocation</c> stops working on the API at once, not when it expires.</summary>
    private sealed class ForgetRevokedToken(OauthAccessTokens accessTokens, AccessRevocations streams)
        : IOpenIddictServerHandler<HandleRevocationRequestContext>
    {
        public ValueTask HandleAsync(HandleRevocationRequestContext context)
        {
            if (!context.IsRejected && context.GenericTokenPrincipal?.GetTokenId() is { } tokenId)
            {
                accessTokens.Revoke(tokenId);
                if (Guid.TryParse(tokenId, out var credentialId))
                {
                    streams.RevokeCredential(credentialId);
                }
            }
            return ValueTask.CompletedTask;
        }
    }
}
