namespace Berth.Core.Accounts;

public enum UserRole
{
    User,
    Admin,
}

public sealed record User
{
    public required Guid Id { get; init; }
    public required string Email { get; init; }
    public required string Name { get; init; }
    public required UserRole Role { get; init; }
    public bool Banned { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    public bool IsAdmin => Role == UserRole.Admin;
}

/// <summary>A personal access token. Only the SHA-256 hash of the secret is kept.</summary>
public sealed record AccessToken
{
    public required Guid Id { get; init; }
    public required Guid UserId { get; init; }
    public required string Name { get; init; }
    public required string TokenHash { get; init; }

    /// <summary>The first characters of the token, safe to show so a user can tell tokens apart.</summary>
    public required string Prefix { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>What the token was granted; null for a token from before scopes, which keeps its user's full access.</summary>
    public Scopes? Scopes { get; init; }
}

/// <summary>
/// Who is asking: the user behind a request, the token it used and that token's effective scopes.
/// <see cref="IsAdmin"/> holds only when the user is an admin and the token carries the admin scope.
/// </summary>
public sealed record Caller(Guid UserId, bool IsAdmin, Guid? TokenId = null, Scopes Scopes = Scopes.All)
{
    /// <summary>The actor written to status logs.</summary>
    public string Actor => UserId.ToString();
}
