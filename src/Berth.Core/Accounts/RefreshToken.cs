namespace Berth.Core.Accounts;

/// <summary>
/// A refresh token: an opaque secret that is exchanged once for a new access token and a new refresh
/// token. Only its SHA-256 hash is kept. The tokens that descend from one sign-in form a family, so
/// that a spent token presented again (a sign that it was copied) can revoke every one of them.
/// </summary>
public sealed record RefreshToken
{
    public required Guid Id { get; init; }
    public required Guid UserId { get; init; }

    /// <summary>The id shared by every token rotated from the same sign-in.</summary>
    public required Guid FamilyId { get; init; }

    public required string TokenHash { get; init; }

    /// <summary>What the access tokens minted from it may do; null for the user's full access, following role changes.</summary>
    public Scopes? Scopes { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>When it was exchanged; a spent token is never accepted again.</summary>
    public DateTimeOffset? UsedAt { get; init; }

    /// <summary>When its family was revoked.</summary>
    public DateTimeOffset? RevokedAt { get; init; }
}

public interface IRefreshTokenStore
{
    /// <summary>Stores the first token of a new family, and forgets the user's tokens that expired before <paramref name="now"/>.</summary>
    Task AddAsync(RefreshToken token, DateTimeOffset now, CancellationToken cancellationToken);

    Task<RefreshToken?> FindByHashAsync(string tokenHash, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: marks <paramref name="spentId"/> used at <paramref name="at"/> and stores
    /// <paramref name="next"/>, but only if the spent token was neither used nor revoked; false otherwise
    /// (it was presented twice, or its family was revoked meanwhile), and then nothing is written.
    /// </summary>
    Task<bool> RotateAsync(Guid spentId, RefreshToken next, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Revokes every live token of the family.</summary>
    Task RevokeFamilyAsync(Guid familyId, DateTimeOffset at, CancellationToken cancellationToken);
}

/// <summary>What a presented refresh token turned out to be.</summary>
public abstract record RefreshResult
{
    public static readonly RefreshResult Invalid = new InvalidToken();
    public static readonly RefreshResult Reused = new ReusedToken();
    public static readonly RefreshResult Expired = new ExpiredToken();
    public static readonly RefreshResult Banned = new BannedUser();

    /// <summary>Accepted and spent: <paramref name="RefreshToken"/> is its successor, shown to the caller once.</summary>
    public sealed record Success(User User, Scopes? Scopes, string RefreshToken) : RefreshResult;

    /// <summary>Unknown, malformed, of a revoked family, or of a user who no longer exists.</summary>
    public sealed record InvalidToken : RefreshResult;

    /// <summary>Already spent: its whole family is now revoked.</summary>
    public sealed record ReusedToken : RefreshResult;

    public sealed record ExpiredToken : RefreshResult;

    public sealed record BannedUser : RefreshResult;
}
