using Berth.Core.Errors;
using Berth.Server.Accounts.Jwt;
using Berth.Server.Oauth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Tokens;

namespace Berth.Server.Accounts;

/// <summary>
/// The authentication schemes and how a request picks one. Every kind of credential has its own
/// ASP.NET Core scheme; <see cref="Berth"/>, the default, forwards each request to the scheme its
/// credential belongs to, so that authorization policies, the caller and the refusals are the same
/// whatever the credential.
/// </summary>
internal static class AuthSchemes
{
    /// <summary>The default: a policy scheme that forwards by credential (see <see cref="Select"/>).</summary>
    public const string Berth = "Berth";

    /// <summary>Personal access tokens, <c>Authorization: Bearer berth_pat_...</c>.</summary>
    public const string PersonalAccessToken = "Bearer";

    /// <summary>Access tokens Berth signed itself (<c>POST /api/v1/auth/token</c>), JWTs whose <c>iss</c> is <c>Berth:Jwt:Issuer</c>.</summary>
    public const string Jwt = "BerthJwt";

    /// <summary>JWTs of the external OpenID Connect provider, whose <c>iss</c> is <c>Berth:Oidc:Issuer</c>.</summary>
    public const string ExternalJwt = "ExternalJwt";

    /// <summary>
    /// Access tokens of Berth's OAuth server (<c>/connect/token</c>): JWTs signed with the OAuth signing key,
    /// whose <c>kid</c> tells them apart from Berth's own JWTs even when both name the same issuer.
    /// </summary>
    public const string OauthAccessToken = "OAuth";

    /// <summary>A browser session: the <c>berth_session</c> cookie, and no Authorization header.</summary>
    public const string Session = "Session";

    /// <summary>The scheme that answers every refusal in Berth's envelope, whichever scheme authenticated.</summary>
    public const string Refusals = PersonalAccessToken;

    public static AuthenticationBuilder AddBerthSchemes(this AuthenticationBuilder builder) => builder
        .AddPolicyScheme(Berth, displayName: null, options =>
        {
            options.ForwardDefaultSelector = Select;
            options.ForwardChallenge = Refusals;
            options.ForwardForbid = Refusals;
        })
        .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(PersonalAccessToken, null)
        .AddScheme<AuthenticationSchemeOptions, OauthTokenHandler>(OauthAccessToken, null)
        .AddScheme<AuthenticationSchemeOptions, SessionHandler>(Session, null)
        .AddBerthJwtSchemes();

    /// <summary>
    /// The scheme for the credential this request carries. An Authorization header always wins over the
    /// session cookie, so a program that sends a token from a browser that also holds a session acts
    /// with the token. A JWT signed with the OAuth server's key (its unverified header <c>kid</c>) goes to
    /// <see cref="OauthAccessToken"/>; another JWT goes to the scheme of the issuer its (not yet verified)
    /// <c>iss</c> names, which then verifies it; everything else is a personal access token. The OAuth
    /// rule comes first because by default the OAuth server and Berth's own JWTs name the same issuer,
    /// this server.
    /// </summary>
    private static string Select(HttpContext context)
    {
        if (StringValues.IsNullOrEmpty(context.Request.Headers.Authorization) && SessionCookie.TryRead(context.Request, out _))
        {
            return Session;
        }
        var credential = BearerCredential(context.Request);
        if (UnverifiedJwt.LooksLikeJwt(credential))
        {
            if (context.RequestServices.GetRequiredService<OauthKeys>().SignedThis(credential))
            {
                return OauthAccessToken;
            }
            var issuers = context.RequestServices.GetRequiredService<JwtIssuers>();
            if (issuers.IsBerth(credential))
            {
                return Jwt;
            }
            if (issuers.IsExternal(credential))
            {
                return ExternalJwt;
            }
        }
        return PersonalAccessToken;
    }

    /// <summary>The credential of <c>Authorization: Bearer &lt;credential&gt;</c>; empty for any other header.</summary>
    public static ReadOnlySpan<char> BearerCredential(HttpRequest request)
    {
        const string prefix = "Bearer ";
        var header = request.Headers.Authorization.ToString().AsSpan();
        return header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? header[prefix.Length..].Trim() : [];
    }

    /// <summary>
    /// The refusal for a request whose authentication ended in <paramref name="result"/>: the error a
    /// scheme recorded (<see cref="AuthenticationFailure"/>), else a generic invalid credential, or a
    /// missing one when nothing was presented.
    /// </summary>
    public static (BerthError Error, string Message) Refusal(AuthenticateResult result) => result.Failure switch
    {
        AuthenticationFailure failure => (failure.Error, failure.Message),
        SecurityTokenExpiredException => (BerthError.TokenExpired, "The token has expired"),
        not null => (BerthError.InvalidToken, "The token is not valid"),
        null => (BerthError.MissingToken, "An Authorization: Bearer token is required"),
    };
}
