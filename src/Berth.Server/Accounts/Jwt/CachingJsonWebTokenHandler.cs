using System.Collections.Concurrent;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Berth.Server.Accounts.Jwt;

/// <summary>
/// Validates Berth's own JWTs and remembers the ones that passed until they expire, so that a client
/// presenting the same token again costs a dictionary lookup instead of parsing and an RSA verification,
/// like a cached personal access token. Only the exact string that was verified is remembered; the
/// user (ban, role) is still checked on every request.
/// </summary>
internal sealed class CachingJsonWebTokenHandler(TimeProvider timeProvider) : JsonWebTokenHandler
{
    // Past this many the cache starts over; the working set of a self-hosted control plane is far smaller.
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, TokenValidationResult> _valid = new(StringComparer.Ordinal);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = timeProvider.GetUtcNow().UtcDateTime;
        if (_valid.TryGetValue(token, out var known))
        {
            // Up to the expiry itself, never into the clock skew: past it the full validation decides.
            if (known.SecurityToken.ValidTo > now)
            {
                return known;
            }
            _valid.TryRemove(token, out _);
        }

        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken.ValidTo > now)
        {
            if (_valid.Count >= MaxEntries)
            {
                _valid.Clear();
            }
            _valid[token] = result;
        }
        return result;
    }
}
