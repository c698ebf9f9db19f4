using System.Text;
using Microsoft.Extensions.Options;

namespace Berth.Server.Accounts.Jwt;

/// <summary>The issuers whose JWTs Berth accepts, as bytes, for choosing a scheme by a token's unverified <c>iss</c>.</summary>
internal sealed class JwtIssuers(IOptions<JwtOptions> jwt, IOptions<OidcOptions> oidc)
{
    private readonly byte[] _berth = Encoding.UTF8.GetBytes(jwt.Value.Issuer!);
    private readonly byte[]? _external = oidc.Value.Enabled ? Encoding.UTF8.GetBytes(oidc.Value.Issuer!) : null;

    /// <summary>Signed by Berth itself (<c>Berth:Jwt:Issuer</c>).</summary>
    public bool IsBerth(ReadOnlySpan<char> token) => UnverifiedJwt.IssuerIs(token, _berth);

    /// <summary>From the configured external provider (<c>Berth:Oidc:Issuer</c>).</summary>
    public bool IsExternal(ReadOnlySpan<char> token) => _external is not null && UnverifiedJwt.IssuerIs(token, _external);
}
