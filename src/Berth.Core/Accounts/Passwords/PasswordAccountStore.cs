using Microsoft.AspNetCore.Identity;

namespace Berth.Core.Accounts.Passwords;

/// <summary>
/// ASP.NET Core Identity's view of Berth's accounts: only what hashing and lockout need. Users are
/// created and named by <see cref="AccountService"/>; Identity only ever updates their password state.
/// </summary>
internal sealed class PasswordAccountStore(IAccountStore store) :
    IUserPasswordStore<PasswordAccount>, IUserLockoutStore<PasswordAccount>, IUserSecurityStampStore<PasswordAccount>
{
    public async Task<PasswordAccount?> FindByIdAsync(string userId, CancellationToken cancellationToken) =>
        Guid.TryParse(userId, out var id) && await store.FindUserAsync(id, cancellationToken) is { } user
            ? await LoadAsync(user, cancellationToken)
            : null;

    public async Task<PasswordAccount?> FindByNameAsync(string normalizedUserName, CancellationToken cancellationToken) =>
        await store.FindUserByEmailAsync(normalizedUserName, cancellationToken) is { } user
            ? await LoadAsync(user, cancellationToken)
            : null;

    public async Task<IdentityResult> UpdateAsync(PasswordAccount user, CancellationToken cancellationToken)
    {
        await store.SavePasswordAccountAsync(user, cancellationToken);
        return IdentityResult.Success;
    }

    public Task<IdentityResult> CreateAsync(PasswordAccount user, CancellationToken cancellationToken) =>
        UpdateAsync(user, cancellationToken);

    public Task<IdentityResult> DeleteAsync(PasswordAccount user, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Users are removed through Berth's account service.");

    public Task<string> GetUserIdAsync(PasswordAccount user, CancellationToken cancellationToken) =>
        Task.FromResult(user.UserId.ToString());

    public Task<string?> GetUserNameAsync(PasswordAccount user, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(user.Email);

    public Task<string?> GetNormalizedUserNameAsync(PasswordAccount user, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(user.Email.ToUpperInvariant());

    // Names belong to the user record; Identity's normalised copy is derived, so there is nothing to store.
    public Task SetUserNameAsync(PasswordAccount user, string? userName, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SetNormalizedUserNameAsync(PasswordAccount user, string? normalizedName, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SetPasswordHashAsync(PasswordAccount user, string? passwordHash, CancellationToken cancellationToken)
    {
        user.PasswordHash = passwordHash;
        return Task.CompletedTask;
    }

    public Task<string?> GetPasswordHashAsync(PasswordAccount user, CancellationToken cancellationToken) =>
        Task.FromResult(user.PasswordHash);

    public Task<bool> HasPasswordAsync(PasswordAccount user, CancellationToken cancellationToken) =>
        Task.FromResult(user.PasswordHash is not null);

    public Task<DateTimeOffset?> GetLockoutEndDateAsync(PasswordAccount user, CancellationToken cancellationToken) =>
        Task.FromResult(user.LockoutEnd);

    public Task SetLockoutEndDateAsync(PasswordAccount user, DateTimeOffset? lockoutEnd, CancellationToken cancellationToken)
    {
        user.LockoutEnd = lockoutEnd;
        return Task.CompletedTask;
    }

    public Task<int> IncrementAccessFailedCountAsync(PasswordAccount user, CancellationToken cancellationToken) =>
        Task.FromResult(++user.AccessFailedCount);

    public Task ResetAccessFailedCountAsync(PasswordAccount user, CancellationToken cancellationToken)
    {
        user.AccessFailedCount = 0;
        return Task.CompletedTask;
    }

    public Task<int> GetAccessFailedCountAsync(PasswordAccount user, CancellationToken cancellationToken) =>
        Task.FromResult(user.AccessFailedCount);

    // Every account can be locked out: an admin included, since a password is guessed the same way.
    public Task<bool> GetLockoutEnabledAsync(PasswordAccount user, CancellationToken cancellationToken) => Task.FromResult(true);

    public Task SetLockoutEnabledAsync(PasswordAccount user, bool enabled, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SetSecurityStampAsync(PasswordAccount user, string stamp, CancellationToken cancellationToken)
    {
        user.SecurityStamp = stamp;
        return Task.CompletedTask;
    }

    public Task<string?> GetSecurityStampAsync(PasswordAccount user, CancellationToken cancellationToken) =>
        Task.FromResult(user.SecurityStamp);

    public void Dispose()
    {
    }

    private async Task<PasswordAccount> LoadAsync(User user, CancellationToken cancellationToken) =>
        await store.FindPasswordAccountAsync(user.Id, cancellationToken)
        ?? new PasswordAccount { UserId = user.Id, Email = user.Email };
}
