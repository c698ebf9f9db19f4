namespace Berth.Core.Accounts;

/// <summary>
/// Issues refresh tokens and exchanges them, single use with rotation: each exchange spends the token
/// and hands out its successor. A spent token presented again means two parties hold the family, so
/// the whole family is revoked and the legitimate holder has to sign in again.
/// </summary>
public sealed class RefreshTokenService(IRefreshTokenStore store, AccountService accounts, TimeProvider timeProvider)
{
    public const string Prefix = "berth_rt_";

    private const int MaxTokenLength = 128;

    /// <summary>Starts a new family for <paramref name="user"/>; returns the plaintext, to be shown once.</summary>
    public async Task<string> IssueAsync(User user, Scopes? scopes, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var plaintext = TokenHasher.Generate(Prefix);
        var id = Guid.CreateVersion7(now);
        await store.AddAsync(NewToken(id, user.Id, id, plaintext, scopes, now, lifetime), now, cancellationToken);
        return plaintext;
    }

    /// <summary>Spends <paramref name="plaintext"/> and issues its successor, valid for <paramref name="lifetime"/> from now.</summary>
    public async Task<RefreshResult> RefreshAsync(string? plaintext, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        if (!HasTokenShape(plaintext))
        {
            return RefreshResult.Invalid;
        }
        var now = timeProvider.GetUtcNow();
        var token = await store.FindByHashAsync(TokenHasher.Hash(plaintext!), cancellationToken);
        if (token is null || token.RevokedAt is not null)
        {
            return RefreshResult.Invalid;
        }
        if (token.UsedAt is not null)
        {
            await store.RevokeFamilyAsync(token.FamilyId, now, cancellationToken);
            return RefreshResult.Reused;
        }
        if (token.ExpiresAt <= now)
        {
            return RefreshResult.Expired;
        }
        switch (await accounts.AuthenticateUserAsync(token.UserId, cancellationToken))
        {
            case UserAuthenticationResult.BannedUser:
                return RefreshResult.Banned;
            case UserAuthenticationResult.Success success:
                var next = TokenHasher.Generate(Prefix);
                var successor = NewToken(Guid.CreateVersion7(now), token.UserId, token.FamilyId, next, token.Scopes, now, lifetime);
                if (!await store.RotateAsync(token.Id, successor, now, cancellationToken))
                {
                    // Another exchange of the same token won the race: it was presented twice.
                    await store.RevokeFamilyAsync(token.FamilyId, now, cancellationToken);
                    return RefreshResult.Reused;
                }
                return new RefreshResult.Success(success.User, token.Scopes, next);
            default:
                return RefreshResult.Invalid;
        }
    }

    private static RefreshToken NewToken(
        Guid id, Guid userId, Guid familyId, string plaintext, Scopes? scopes, DateTimeOffset now, TimeSpan lifetime) => new()
    {
        Id = id,
        UserId = userId,
        FamilyId = familyId,
        TokenHash = TokenHasher.Hash(plaintext),
        Scopes = scopes,
        CreatedAt = now,
        ExpiresAt = now + lifetime,
    };

    private static bool HasTokenShape(string? plaintext) =>
        plaintext is { Length: > 0 and <= MaxTokenLength } && plaintext.StartsWith(Prefix, StringComparison.Ordinal);
}
