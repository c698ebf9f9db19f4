using Berth.Core.Accounts;
using Berth.Core.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Berth.Server.Accounts.Jwt;

/// <summary>
/// Berth's own JWTs (signed with <see cref="JwtSigningKey"/>, minted by <c>POST /api/v1/auth/token</c>,
/// checked by <see cref="BerthJwtHandler"/>) and the external OpenID Connect provider's (a JwtBearer
/// scheme, which fetches the provider's keys): both end, like every scheme, in
/// <see cref="CallerPrincipal.Create"/> for a user <see cref="AccountService"/> lets act now.
/// </summary>
internal static partial class JwtSetup
{
    public static IHostApplicationBuilder AddBerthJwt(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<JwtOptions>()
            .BindConfiguration(JwtOptions.Section)
            .PostConfigure<IConfiguration>((o, configuration) =>
            {
                if (string.IsNullOrWhiteSpace(o.Issuer))
                {
                    o.Issuer = JwtOptions.DefaultIssuer(configuration["urls"]);
                }
            })
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<JwtOptions>, JwtOptionsValidator>();
        builder.Services.AddOptions<OidcOptions>().BindConfiguration(OidcOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<OidcOptions>, OidcOptionsValidator>();

        builder.Services.AddSingleton<JwtSigningKey>();
        builder.Services.AddSingleton<JwtIssuers>();
        builder.Services.AddSingleton<AccessTokenIssuer>();
        builder.Services.AddScoped<RefreshTokenService>();
        builder.Services.AddHostedService<JwtStartup>();
        return builder;
    }

    public static AuthenticationBuilder AddBerthJwtSchemes(this AuthenticationBuilder builder)
    {
        builder.AddScheme<AuthenticationSchemeOptions, BerthJwtHandler>(AuthSchemes.Jwt, null);
        builder.Services.AddSingleton<BerthJwtValidation>();
        builder.AddJwtBearer(AuthSchemes.ExternalJwt, null, _ => { });
        builder.Services.AddOptions<JwtBearerOptions>(AuthSchemes.ExternalJwt)
            .Configure<IOptions<JwtOptions>, IOptions<OidcOptions>>(ConfigureExternal);
        return builder;
    }

    private static void ConfigureExternal(JwtBearerOptions options, IOptions<JwtOptions> jwt, IOptions<OidcOptions> oidcOptions)
    {
        var oidc = oidcOptions.Value;
        options.MapInboundClaims = false;
        if (oidc.Enabled)
        {
            // The library fetches discovery and the JWKS, caches them and refetches on an unknown kid.
            options.Authority = oidc.Issuer;
            if (!string.IsNullOrWhiteSpace(oidc.MetadataAddress))
            {
                options.MetadataAddress = oidc.MetadataAddress;
            }
            options.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
        }
        var parameters = options.TokenValidationParameters;
        parameters.ValidIssuer = oidc.Issuer;
        parameters.ValidateAudience = !string.IsNullOrWhiteSpace(oidc.Audience);
        parameters.ValidAudience = oidc.Audience;
        parameters.RequireExpirationTime = true;
        parameters.ClockSkew = jwt.Value.ClockSkew;
        options.Events = new JwtBearerEvents { OnTokenValidated = OnExternalTokenValidatedAsync };
    }

    /// <summary>
    /// The token names an existing Berth user by the email in <see cref="OidcOptions.UserClaim"/>. It may do
    /// what its <c>scope</c> claim names of Berth's scopes, within its user's; a token without a
    /// <c>scope</c> claim has its user's full access.
    /// </summary>
    private static async Task OnExternalTokenValidatedAsync(TokenValidatedContext context)
    {
        var oidc = context.HttpContext.RequestServices.GetRequiredService<IOptions<OidcOptions>>().Value;
        var token = (JsonWebToken)context.SecurityToken;
        if (!token.TryGetPayloadValue<string>(oidc.UserClaim, out var email) || string.IsNullOrWhiteSpace(email))
        {
            context.Fail(new AuthenticationFailure(BerthError.InvalidToken, $"The token has no '{oidc.UserClaim}' claim naming a Berth user's email"));
            return;
        }
        // A provider that vouches for an address it has not verified cannot stand for the user who owns it.
        if (token.TryGetPayloadValue<bool>("email_verified", out var verified) && !verified)
        {
            context.Fail(new AuthenticationFailure(BerthError.InvalidToken, "The token's email is not verified by its issuer"));
            return;
        }
        var scopes = ExternalScopes(token);
        var credentialId = Guid.TryParse(token.Id, out var jti) ? jti : (Guid?)null;
        var accounts = context.HttpContext.RequestServices.GetRequiredService<AccountService>();
        var user = await accounts.AuthenticateUserByEmailAsync(email, context.HttpContext.RequestAborted);
        Accept(context, user, credentialId, scopes,
            $"No Berth user has the email in the token's '{oidc.UserClaim}' claim; an administrator must create the user first");
    }

    private static Scopes ExternalScopes(JsonWebToken token)
    {
        if (token.TryGetPayloadValue<string>(ScopeClaim.Name, out var names))
        {
            return ScopeClaim.Parse(names);
        }
        if (token.TryGetPayloadValue<string[]>(ScopeClaim.Name, out var list))
        {
            return ScopeClaim.Parse(string.Join(' ', list));
        }
        return Scopes.All;
    }

    private static void Accept(TokenValidatedContext context, UserAuthenticationResult user, Guid? credentialId, Scopes scopes, string unknownUser)
    {
        var result = CallerPrincipal.Authenticate(context.HttpContext, user, credentialId, scopes, context.Scheme.Name, unknownUser);
        if (result.Succeeded)
        {
            context.Principal = result.Principal;
            context.Success();
        }
        else
        {
            context.Fail(result.Failure!);
        }
    }

    /// <summary>Loads (or on the first start creates) the signing key before requests are served, and warns about a lax provider setup.</summary>
    private sealed partial class JwtStartup(JwtSigningKey key, IOptions<OidcOptions> oidc, ILogger<JwtStartup> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            SigningKeyReady(logger, key.KeyId);
            if (oidc.Value.Enabled && string.IsNullOrWhiteSpace(oidc.Value.Audience))
            {
                NoAudience(logger, oidc.Value.Issuer!);
            }
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Information, Message = "JWT signing key {KeyId} loaded")]
        private static partial void SigningKeyReady(ILogger logger, string keyId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Berth:Oidc:Audience is not set: every token {Issuer} issues, for any client, is accepted")]
        private static partial void NoAudience(ILogger logger, string issuer);
    }
}
