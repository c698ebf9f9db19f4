using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Berth.Server.Oauth;

/// <summary>What an access token says, once its signature, issuer, type and stored entry were checked.</summary>
internal sealed record ValidatedAccessToken(
    Guid UserId, string TokenId, string? AuthorizationId, string? ClientId, Berth.Core.Accounts.Scopes Scopes, DateTimeOffset ExpiresAt)
{
    /// <summary>The credential id the caller carries (audit log): the token's own id.</summary>
    public Guid? CredentialId => Guid.TryParse(TokenId, out var id) ? id : null;
}

internal abstract record AccessTokenResult
{
    public static readonly AccessTokenResult Invalid = new InvalidToken();
    public static readonly AccessTokenResult Expired = new ExpiredToken();

    public sealed record Valid(ValidatedAccessToken Token) : AccessTokenResult;

    public sealed record InvalidToken : AccessTokenResult;

    public sealed record ExpiredToken : AccessTokenResult;
}

/// <summary>
/// Checks the OAuth access tokens presented to the API, cheaply enough for every request.
/// <para>
/// The first time a token is seen, its JWT is verified (RS256 signature with the server's own key,
/// issuer, <c>typ: at+jwt</c>, lifetime) and its stored entry must still be valid: one store query per
/// token, which also covers tokens revoked or deleted while the server was down. The result is then
/// cached by the token's text until it expires, so later requests cost a dictionary lookup.
/// </para>
/// <para>
/// Revocation is exact without a query per request because this server is the only writer of its
/// token store: every revocation (an authorization revoked, an application deleted, a token revoked at
/// <c>/connect/revocation</c>) goes through <see cref="Revoke"/> before the store is changed. The revoked
/// ids are consulted on every request, cache hit or not, and remembered for an access token's lifetime,
/// after which every token issued before the revocation has expired anyway.
/// </para>
/// </summary>
internal sealed class OauthAccessTokens(
    IOptionsMonitor<OpenIddictServerOptions> server,
    IOptions<OauthOptions> oauth,
    IServiceScopeFactory scopes,
    TimeProvider timeProvider)
{
    // Past this many entries the cache starts over; the working set of a self-hosted control plane is far smaller.
    private const int MaxEntries = 10_000;
    private const string AccessTokenType = "at+jwt";

    private readonly ConcurrentDictionary<string, ValidatedAccessToken> _validated = new(StringComparer.Ordinal);

    // Revoked token, authorization and client ids → until when they must be remembered.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revoked = new(StringComparer.Ordinal);
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public async ValueTask<AccessTokenResult> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (!_validated.TryGetValue(token, out var validated))
        {
            var result = await VerifyAsync(token, cancellationToken);
            if (result is not AccessTokenResult.Valid valid)
            {
                return result;
            }
            validated = valid.Token;
            if (_validated.Count >= MaxEntries)
            {
                _validated.Clear();
            }
            _validated[token] = validated;
        }

        if (validated.ExpiresAt <= timeProvider.GetUtcNow())
        {
            _validated.TryRemove(token, out _);
            return AccessTokenResult.Expired;
        }
        if (!_revoked.IsEmpty && (IsRevoked(validated.TokenId) || IsRevoked(validated.AuthorizationId) || IsRevoked(validated.ClientId)))
        {
            return AccessTokenResult.Invalid;
        }
        return new AccessTokenResult.Valid(validated);
    }

    /// <summary>
    /// Stops every access token carrying one of <paramref name="ids"/> (token, authorization or client ids)
    /// at once. Call before changing the store, so that no request sees the old state in between.
    /// </summary>
    public void Revoke(params string?[] ids)
    {
        var now = timeProvider.GetUtcNow();
        foreach (var (id, until) in _revoked)
        {
            if (until <= now)
            {
                _revoked.TryRemove(id, out _);
            }
        }
        // Tokens issued up to now live at most one lifetime more; a little slack covers one issued during this call.
        var remember = now + oauth.Value.AccessTokenLifetime + TimeSpan.FromMinutes(1);
        foreach (var id in ids.OfType<string>())
        {
            _revoked[id] = remember;
        }
    }

    private bool IsRevoked(string? id) => id is not null && _revoked.ContainsKey(id);

    private async Task<AccessTokenResult> VerifyAsync(string token, CancellationToken cancellationToken)
    {
        var options = server.CurrentValue;
        if (options.Issuer is null || !_handler.CanReadToken(token))
        {
            return AccessTokenResult.Invalid;
        }
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = options.Issuer.AbsoluteUri,
            IssuerSigningKeys = options.SigningCredentials.Select(c => c.Key),
            ValidTypes = [AccessTokenType],
            ValidateAudience = false,
            ClockSkew = TimeSpan.Zero,
        });
        if (!result.IsValid)
        {
            return result.Exception is SecurityTokenExpiredException ? AccessTokenResult.Expired : AccessTokenResult.Invalid;
        }

        var identity = result.ClaimsIdentity;
        var tokenId = identity.FindFirst(Claims.Private.TokenId)?.Value ?? identity.FindFirst(Claims.JwtId)?.Value;
        if (!Guid.TryParse(identity.FindFirst(Claims.Subject)?.Value, out var userId) || tokenId is null
            || result.SecurityToken is not JsonWebToken jwt)
        {
            return AccessTokenResult.Invalid;
        }

        // First sight of this token: its stored entry decides, so a revocation made before a restart holds.
        await using (var scope = scopes.CreateAsyncScope())
        {
            var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
            var entry = await tokens.FindByIdAsync(tokenId, cancellationToken);
            if (entry is null || !await tokens.HasStatusAsync(entry, Statuses.Valid, cancellationToken))
            {
                return AccessTokenResult.Invalid;
            }
        }

        var scopeNames = identity.FindAll(Claims.Scope).SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return new AccessTokenResult.Valid(new ValidatedAccessToken(
            userId,
            tokenId,
            identity.FindFirst(Claims.Private.AuthorizationId)?.Value,
            identity.FindFirst(Claims.ClientId)?.Value,
            OauthScopes.Parse(scopeNames),
            new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero)));
    }
}
