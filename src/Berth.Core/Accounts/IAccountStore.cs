namespace Berth.Core.Accounts;

public interface IAccountStore
{
    Task<User?> FindUserAsync(Guid id, CancellationToken cancellationToken);

    Task<User?> FindUserByEmailAsync(string email, CancellationToken cancellationToken);

    Task<Persistence.Page<User>> ListUsersAsync(int pageNumber, int limit, CancellationToken cancellationToken);

    /// <summary>Throws ALREADY_EXISTS when the email is taken.</summary>
    Task AddUserAsync(User user, CancellationToken cancellationToken);

    Task UpdateUserAsync(User user, CancellationToken cancellationToken);

    /// <summary>The user's password and lockout state; null when none was ever stored.</summary>
    Task<Passwords.PasswordAccount?> FindPasswordAccountAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>Stores the user's password and lockout state, replacing what was there.</summary>
    Task SavePasswordAccountAsync(Passwords.PasswordAccount account, CancellationToken cancellationToken);

    Task AddTokenAsync(AccessToken token, CancellationToken cancellationToken);

    Task<AccessToken?> FindTokenByHashAsync(string tokenHash, CancellationToken cancellationToken);

    /// <summary>The user's tokens that are not revoked.</summary>
    Task<IReadOnlyList<AccessToken>> ListTokensAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>Revokes the user's token; false when the user has no such live token.</summary>
    Task<bool> RevokeTokenAsync(Guid userId, Guid tokenId, DateTimeOffset at, CancellationToken cancellationToken);
}
