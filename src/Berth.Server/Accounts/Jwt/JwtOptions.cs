using Microsoft.Extensions.Options;

namespace Berth.Server.Accounts.Jwt;

/// <summary>
/// The <c>Berth:Jwt</c> section: the access tokens Berth signs itself and the refresh tokens that
/// renew them. The names are a documented contract.
/// </summary>
internal sealed class JwtOptions
{
    public const string Section = "Berth:Jwt";

    /// <summary>The <c>iss</c> of Berth's tokens, an absolute URI; derived from the first listen URL when not set.</summary>
    public string? Issuer { get; set; }

    /// <summary>The <c>aud</c> of Berth's tokens; a token for another audience is refused.</summary>
    public string Audience { get; set; } = "berth-api";

    /// <summary>Short, because an access token cannot be revoked before it expires; a refresh renews it.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a refresh token may wait to be exchanged; each exchange starts a new one.</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How far the clocks of the issuer and Berth may disagree; applies to external tokens too.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The issuer Berth names when none is configured: the first listen URL, with a wildcard host read as localhost.</summary>
    public static string DefaultIssuer(string? urls)
    {
        var first = (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        var named = first.Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal);
        var uri = Uri.TryCreate(named, UriKind.Absolute, out var parsed) ? parsed : new Uri(Hosting.BerthHost.DefaultUrl);
        return uri.GetLeftPart(UriPartial.Authority) + "/";
    }
}

/// <summary>
/// The <c>Berth:Oidc</c> section: an external OpenID Connect provider whose tokens Berth accepts for
/// its existing users. Off unless <see cref="Issuer"/> is set.
/// </summary>
internal sealed class OidcOptions
{
    public const string Section = "Berth:Oidc";

    /// <summary>The provider's issuer, exactly as its tokens' <c>iss</c> (and its discovery document) name it.</summary>
    public string? Issuer { get; set; }

    /// <summary>Where its discovery document is; <c>{Issuer}/.well-known/openid-configuration</c> when not set.</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>The <c>aud</c> its tokens must carry. Without it any token of the provider is accepted, whichever client it was for.</summary>
    public string? Audience { get; set; }

    /// <summary>The claim holding the email of the Berth user the token stands for.</summary>
    public string UserClaim { get; set; } = "email";

    /// <summary>Plain-HTTP discovery is allowed only when this is explicitly set to false (for a provider on loopback).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Issuer);
}

internal sealed class JwtOptionsValidator : IValidateOptions<JwtOptions>
{
    public ValidateOptionsResult Validate(string? name, JwtOptions options)
    {
        var failures = new List<string>();
        if (!Uri.TryCreate(options.Issuer, UriKind.Absolute, out _))
        {
            failures.Add("Berth:Jwt:Issuer must be an absolute URI.");
        }
        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add("Berth:Jwt:Audience is required.");
        }
        if (options.AccessTokenLifetime <= TimeSpan.Zero)
        {
            failures.Add("Berth:Jwt:AccessTokenLifetime must be positive.");
        }
        if (options.RefreshTokenLifetime <= TimeSpan.Zero)
        {
            failures.Add("Berth:Jwt:RefreshTokenLifetime must be positive.");
        }
        if (options.ClockSkew < TimeSpan.Zero)
        {
            failures.Add("Berth:Jwt:ClockSkew must not be negative.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class OidcOptionsValidator : IValidateOptions<OidcOptions>
{
    public ValidateOptionsResult Validate(string? name, OidcOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }
        var failures = new List<string>();
        if (!Uri.TryCreate(options.Issuer, UriKind.Absolute, out _))
        {
            failures.Add("Berth:Oidc:Issuer must be an absolute URI.");
        }
        if (options.MetadataAddress is { Length: > 0 } metadata && !Uri.TryCreate(metadata, UriKind.Absolute, out _))
        {
            failures.Add("Berth:Oidc:MetadataAddress must be an absolute URI.");
        }
        if (string.IsNullOrWhiteSpace(options.UserClaim))
        {
            failures.Add("Berth:Oidc:UserClaim is required.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
