using Berth.Core.Accounts;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Berth.Server.Accounts.Jwt;

/// <summary>Signs Berth's access tokens: <c>sub</c> (the user id), <c>jti</c>, <c>scope</c>, <c>iat</c>, <c>exp</c>.</summary>
internal sealed class AccessTokenIssuer(JwtSigningKey key, IOptions<JwtOptions> options, TimeProvider timeProvider)
{
    /// <summary>The <c>typ</c> of an OAuth access token in JWT form (RFC 9068); the scheme accepts no other.</summary>
    public const string TokenType = "at+jwt";

    private readonly JsonWebTokenHandler _handler = new();

    public (string Token, TimeSpan Lifetime) Issue(User user, Scopes scopes)
    {
        var jwt = options.Value;
        var now = timeProvider.GetUtcNow();
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = jwt.Issuer,
            Audience = jwt.Audience,
            TokenType = TokenType,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + jwt.AccessTokenLifetime).UtcDateTime,
            SigningCredentials = key.SigningCredentials,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = user.Id.ToString(),
                [JwtRegisteredClaimNames.Jti] = Guid.CreateVersion7(now).ToString(),
                [ScopeClaim.Name] = ScopeClaim.Format(scopes),
            },
        });
        return (token, jwt.AccessTokenLifetime);
    }
}
