using System.Text.RegularExpressions;
using Berth.Core.Accounts.Passwords;
using Berth.Core.Errors;
using Berth.Core.Persistence;
using Microsoft.AspNetCore.Identity;

namespace Berth.Core.Accounts;

/// <summary>Users, their passwords and personal access tokens, and turning a presented credential into a user.</summary>
public sealed partial class AccountService(
    IAccountStore store, TokenCache cache, AccessRevocations revocations, TimeProvider timeProvider,
    UserManager<PasswordAccount> passwords, SessionService sessions)
{
    public const string BootstrapAdminEmail = "admin@berth.local";
    public const int MaxNameLength = 100;
    public const int MaxListLimit = 100;
    private const int MaxEmailLength = 254;
    private const string BootstrapAdminName = "Administrator";
    private const string BootstrapTokenName = "bootstrap";

    // What an unknown email is checked against, so that it costs a real verification.
    private static readonly PasswordAccount s_nobody = new() { UserId = Guid.Empty, Email = "" };
    private static readonly Lazy<string> s_nobodysHash = new(() =>
        new PasswordHasher<PasswordAccount>().HashPassword(s_nobody, Guid.NewGuid().ToString()));

    public async Task<User> CreateUserAsync(
        string? email, string? name, string? role, CancellationToken cancellationToken, string? password = null)
    {
        var errors = new FieldErrors();
        var normalizedEmail = ValidateEmail(errors, email);
        var trimmedName = ValidateName(errors, "name", name);
        var parsedRole = ValidateRole(errors, role, required: true);
        if (password is not null)
        {
            await ValidatePasswordAsync(errors, "password", new PasswordAccount { UserId = Guid.Empty, Email = normalizedEmail }, password);
        }
        errors.ThrowIfAny();

        if (await store.FindUserByEmailAsync(normalizedEmail, cancellationToken) is not null)
        {
            throw EmailTaken();
        }
        var now = timeProvider.GetUtcNow();
        var user = new User
        {
            Id = Guid.CreateVersion7(now),
            Email = normalizedEmail,
            Name = trimmedName,
            Role = parsedRole!.Value,
            CreatedAt = now,
            UpdatedAt = now,
        };
        // The store enforces uniqueness too, for two creates that race past the check above.
        await store.AddUserAsync(user, cancellationToken);
        if (password is not null)
        {
            await ReplacePasswordAsync(user, password);
        }
        return user;
    }

    public async Task<User> GetUserAsync(Guid id, CancellationToken cancellationToken) =>
        await store.FindUserAsync(id, cancellationToken) ?? throw BerthException.NotFound("User");

    public Task<Page<User>> ListUsersAsync(int page, int limit, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (page < 1)
        {
            errors.Add("page", "must be 1 or more");
        }
        if (limit is < 1 or > MaxListLimit)
        {
            errors.Add("limit", $"must be from 1 to {MaxListLimit}");
        }
        errors.ThrowIfAny();
        return store.ListUsersAsync(page, limit, cancellationToken);
    }

    /// <summary>
    /// An admin's change to a user. A new <paramref name="password"/> replaces the old one without
    /// asking for it and lifts a lockout: the admin is how a locked-out user gets back in.
    /// </summary>
    public async Task<User> UpdateUserAsync(
        Guid id, string? role, bool? banned, CancellationToken cancellationToken, string? password = null)
    {
        var errors = new FieldErrors();
        var parsedRole = ValidateRole(errors, role, required: false);
        errors.ThrowIfAny();

        var user = await GetUserAsync(id, cancellationToken);
        if (password is not null)
        {
            await ValidatePasswordAsync(errors, "password", new PasswordAccount { UserId = user.Id, Email = user.Email }, password);
            errors.ThrowIfAny();
            await ReplacePasswordAsync(user, password);
            // A reset is how an account is taken back: whoever was signed in with the old password is signed out.
            await sessions.EndAllAsync(user.Id, cancellationToken);
        }
        var updated = user with
        {
            Role = parsedRole ?? user.Role,
            Banned = banned ?? user.Banned,
        };
        if (updated == user)
        {
            return user;
        }
        updated = updated with { UpdatedAt = timeProvider.GetUtcNow() };
        await store.UpdateUserAsync(updated, cancellationToken);
        // After the write: a request that loads the user from now on sees the ban or the new role.
        cache.InvalidateUser(id);
        if (updated.Banned && !user.Banned)
        {
            // Open streams authenticated before the ban; they end now rather than at their next request.
            revocations.RevokeUser(id);
            // A ban signs the user out everywhere: lifting it later does not bring the sessions back.
            await sessions.EndAllAsync(id, cancellationToken);
        }
        return updated;
    }

    /// <summary>
    /// Checks an email and password, with Identity's lockout: after too many failures in a row the
    /// account refuses every password for a while. An unknown email costs the same hashing as a known
    /// one and answers the same, so that the answer does not tell which emails exist.
    /// </summary>
    public async Task<SignInResult> CheckPasswordAsync(string? email, string? password, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(password) || password.Length > PasswordPolicyOptions.MaximumLength)
        {
            return SignInResult.InvalidCredentials;
        }
        var user = await store.FindUserByEmailAsync(email.Trim(), cancellationToken);
        var account = user is null ? null : await passwords.FindByIdAsync(user.Id.ToString());
        if (user is null || account?.PasswordHash is null)
        {
            passwords.PasswordHasher.VerifyHashedPassword(s_nobody, s_nobodysHash.Value, password);
            return SignInResult.InvalidCredentials;
        }
        if (await passwords.IsLockedOutAsync(account!))
        {
            return new SignInResult.LockedOut(account!.LockoutEnd!.Value);
        }
        if (!await passwords.CheckPasswordAsync(account!, password))
        {
            await passwords.AccessFailedAsync(account!);
            return await passwords.IsLockedOutAsync(account!)
                ? new SignInResult.LockedOut(account!.LockoutEnd!.Value)
                : SignInResult.InvalidCredentials;
        }
        if (account!.AccessFailedCount > 0)
        {
            await passwords.ResetAccessFailedCountAsync(account);
        }
        return user.Banned ? SignInResult.Banned : new SignInResult.Success(user);
    }

    /// <summary>
    /// A user's own change of password, which needs the current one. It ends the user's other browser
    /// sessions, which someone who knew the old password may hold; the session making the change
    /// (<paramref name="currentCredentialId"/>, when the change comes through one) stays.
    /// </summary>
    public async Task ChangePasswordAsync(
        Guid userId, string? currentPassword, string? newPassword, CancellationToken cancellationToken, Guid? currentCredentialId = null)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrEmpty(currentPassword))
        {
            errors.Add("current_password", "is required");
        }
        var user = await GetUserAsync(userId, cancellationToken);
        var account = await passwords.FindByIdAsync(user.Id.ToString()) ?? new PasswordAccount { UserId = user.Id, Email = user.Email };
        await ValidatePasswordAsync(errors, "new_password", account, newPassword);
        errors.ThrowIfAny();

        if (account.PasswordHash is null)
        {
            throw new BerthException(BerthError.OperationStateConflict, "This account has no password yet; an admin sets the first one");
        }
        if (await passwords.IsLockedOutAsync(account))
        {
            throw LockedOut(account.LockoutEnd!.Value);
        }
        var changed = await passwords.ChangePasswordAsync(account, currentPassword!, newPassword!);
        if (!changed.Succeeded)
        {
            // Validation passed above, so the current password was wrong: a failure like any other.
            await passwords.AccessFailedAsync(account);
            throw await passwords.IsLockedOutAsync(account)
                ? LockedOut(account.LockoutEnd!.Value)
                : new BerthException(BerthError.InvalidCredentials, "The current password is not right");
        }
        await sessions.EndAllAsync(userId, cancellationToken, except: currentCredentialId);
    }

    /// <summary>Mints a token for the user; the plaintext is returned here and never again.</summary>
    public Task<(AccessToken Token, string Plaintext)> CreateTokenAsync(
        Guid userId, string? name, DateTimeOffset? expiresAt, CancellationToken cancellationToken) =>
        CreateTokenAsync(userId, name, expiresAt, scopes: null, grantable: Scopes.All, cancellationToken);

    /// <summary>
    /// Mints a token with <paramref name="scopes"/> (by name; null for the user's full access), never
    /// more than the user may do nor than <paramref name="grantable"/>, the scopes of the token asking
    /// (see <see cref="TokenScopes.Resolve"/>). The plaintext is returned here and never again.
    /// </summary>
    public async Task<(AccessToken Token, string Plaintext)> CreateTokenAsync(
        Guid userId, string? name, DateTimeOffset? expiresAt, IReadOnlyList<string>? scopes, Scopes grantable,
        CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var errors = new FieldErrors();
        var trimmedName = ValidateName(errors, "name", name);
        if (expiresAt is { } expiry && expiry <= now)
        {
            errors.Add("expires_at", "must be in the future");
        }
        errors.ThrowIfAny();

        var user = await GetUserAsync(userId, cancellationToken);
        var granted = TokenScopes.Resolve(errors, scopes, user, grantable);
        errors.ThrowIfAny();
        var plaintext = TokenHasher.Generate();
        var token = NewToken(userId, trimmedName, plaintext, expiresAt, now) with { Scopes = granted };
        await store.AddTokenAsync(token, cancellationToken);
        return (token, plaintext);
    }

    /// <summary>The user's live (not revoked) tokens, expired ones included so they can be cleaned up.</summary>
    public Task<IReadOnlyList<AccessToken>> ListTokensAsync(Guid userId, CancellationToken cancellationToken) =>
        store.ListTokensAsync(userId, cancellationToken);

    public async Task RevokeTokenAsync(Guid userId, Guid tokenId, CancellationToken cancellationToken)
    {
        if (!await store.RevokeTokenAsync(userId, tokenId, timeProvider.GetUtcNow(), cancellationToken))
        {
            throw BerthException.NotFound("Token");
        }
        cache.InvalidateToken(tokenId);
        revocations.RevokeCredential(tokenId);
    }

    /// <summary>Runs on every request; a cache hit touches no store.</summary>
    public async ValueTask<AuthenticationResult> AuthenticateAsync(string? plaintext, CancellationToken cancellationToken)
    {
        if (!TokenHasher.HasTokenShape(plaintext))
        {
            return AuthenticationResult.InvalidToken;
        }
        var hash = TokenHasher.Hash(plaintext!);
        if (!cache.TryGet(hash, out var credential))
        {
            var generation = cache.Generation;
            var token = await store.FindTokenByHashAsync(hash, cancellationToken);
            if (token is null || token.RevokedAt is not null)
            {
                return AuthenticationResult.InvalidToken;
            }
            var user = await store.FindUserAsync(token.UserId, cancellationToken);
            if (user is null)
            {
                return AuthenticationResult.InvalidToken;
            }
            credential = new CachedCredential(user, token);
            cache.Add(hash, credential, generation);
        }

        if (credential.Token.ExpiresAt is { } expiresAt && expiresAt <= timeProvider.GetUtcNow())
        {
            return AuthenticationResult.ExpiredToken;
        }
        if (credential.User.Banned)
        {
            return AuthenticationResult.BannedAccount;
        }
        return new AuthenticationResult.Success(credential.User, credential.Token);
    }

    /// <summary>
    /// For a credential that names its user (a session, a JWT, an OAuth token) and was checked by its
    /// own scheme: whether that user may act now. Runs on every such request; a cache hit touches no store.
    /// </summary>
    public async ValueTask<UserAuthenticationResult> AuthenticateUserAsync(Guid userId, CancellationToken cancellationToken)
    {
        if (!cache.TryGetUser(userId, out var user))
        {
            var generation = cache.Generation;
            var loaded = await store.FindUserAsync(userId, cancellationToken);
            if (loaded is null)
            {
                return UserAuthenticationResult.Unknown;
            }
            cache.AddUser(loaded, generation);
            user = loaded;
        }
        return user.Banned ? UserAuthenticationResult.Banned : new UserAuthenticationResult.Success(user);
    }

    /// <summary>
    /// Like <see cref="AuthenticateUserAsync"/>, for a verified credential that names its user by email
    /// (case-insensitive), as an external identity provider does. A cache hit touches no store.
    /// </summary>
    public async ValueTask<UserAuthenticationResult> AuthenticateUserByEmailAsync(string email, CancellationToken cancellationToken)
    {
        var normalized = email.Trim().ToLowerInvariant();
        if (!cache.TryGetUserId(normalized, out var userId))
        {
            var generation = cache.Generation;
            var user = await store.FindUserByEmailAsync(normalized, cancellationToken);
            if (user is null)
            {
                return UserAuthenticationResult.Unknown;
            }
            cache.AddUserEmail(normalized, user.Id, generation);
            userId = user.Id;
        }
        return await AuthenticateUserAsync(userId, cancellationToken);
    }

    /// <summary>
    /// Makes sure someone can administer this server. With a configured token: the admin
    /// <see cref="BootstrapAdminEmail"/> exists, is an unbanned admin, and holds a token with exactly
    /// that hash (idempotent across restarts); returns null. Without one: on an empty store, creates
    /// the admin and a fresh token and returns its plaintext (to be shown once); otherwise null.
    /// </summary>
    public async Task<string?> EnsureBootstrapAdminAsync(string? configuredToken, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(configuredToken))
        {
            var anyone = await store.ListUsersAsync(1, 1, cancellationToken);
            if (anyone.Total > 0)
            {
                return null;
            }
            var created = await EnsureAdminUserAsync(cancellationToken);
            var plaintext = TokenHasher.Generate();
            await store.AddTokenAsync(NewToken(created.Id, BootstrapTokenName, plaintext, null, timeProvider.GetUtcNow()), cancellationToken);
            return plaintext;
        }

        if (!TokenHasher.HasTokenShape(configuredToken))
        {
            throw new InvalidOperationException(
                $"The configured bootstrap admin token must start with '{TokenHasher.Prefix}' and contain no spaces.");
        }
        var admin = await EnsureAdminUserAsync(cancellationToken);
        var hash = TokenHasher.Hash(configuredToken);
        var existing = await store.FindTokenByHashAsync(hash, cancellationToken);
        if (existing is null)
        {
            await store.AddTokenAsync(NewToken(admin.Id, BootstrapTokenName, configuredToken, null, timeProvider.GetUtcNow()), cancellationToken);
            return null;
        }
        if (existing.UserId != admin.Id || existing.RevokedAt is not null
            || existing.ExpiresAt is { } expiry && expiry <= timeProvider.GetUtcNow())
        {
            // The hash is unique in the store, so this token cannot be handed out again.
            throw new InvalidOperationException(
                "The configured bootstrap admin token was revoked, has expired or belongs to another user; configure a new one.");
        }
        return null;
    }

    private async Task<User> EnsureAdminUserAsync(CancellationToken cancellationToken)
    {
        var admin = await store.FindUserByEmailAsync(BootstrapAdminEmail, cancellationToken);
        if (admin is null)
        {
            var now = timeProvider.GetUtcNow();
            admin = new User
            {
                Id = Guid.CreateVersion7(now),
                Email = BootstrapAdminEmail,
                Name = BootstrapAdminName,
                Role = UserRole.Admin,
                CreatedAt = now,
                UpdatedAt = now,
            };
            await store.AddUserAsync(admin, cancellationToken);
            return admin;
        }
        if (!admin.IsAdmin || admin.Banned)
        {
            // The configured token is the operator's way back in; it must not be locked out.
            return await UpdateUserAsync(admin.Id, "admin", banned: false, cancellationToken);
        }
        return admin;
    }

    private AccessToken NewToken(Guid userId, string name, string plaintext, DateTimeOffset? expiresAt, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        UserId = userId,
        Name = name,
        TokenHash = TokenHasher.Hash(plaintext),
        Prefix = TokenHasher.DisplayPrefix(plaintext),
        ExpiresAt = expiresAt,
        CreatedAt = now,
    };

    private async Task ValidatePasswordAsync(FieldErrors errors, string field, PasswordAccount account, string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            errors.Add(field, "is required");
            return;
        }
        if (password.Length > PasswordPolicyOptions.MaximumLength)
        {
            errors.Add(field, $"must be at most {PasswordPolicyOptions.MaximumLength} characters");
            return;
        }
        foreach (var validator in passwords.PasswordValidators)
        {
            var result = await validator.ValidateAsync(passwords, account, password);
            foreach (var error in result.Errors)
            {
                errors.Add(field, error.Description);
            }
        }
    }

    /// <summary>Sets a password that was already validated, and clears any lockout.</summary>
    private async Task ReplacePasswordAsync(User user, string password)
    {
        var account = await passwords.FindByIdAsync(user.Id.ToString())
            ?? throw BerthException.NotFound("User");
        account.PasswordHash = passwords.PasswordHasher.HashPassword(account, password);
        account.AccessFailedCount = 0;
        account.LockoutEnd = null;
        await passwords.UpdateSecurityStampAsync(account);
    }

    /// <summary>The answer to any sign-in while the account is locked, with <c>details.locked_until</c>.</summary>
    public static BerthException LockedOut(DateTimeOffset until) => new(
        BerthError.AccountLocked,
        "Too many failed attempts; the account is locked for a while",
        new Dictionary<string, object?> { ["locked_until"] = until });

    private static string ValidateEmail(FieldErrors errors, string? email)
    {
        var trimmed = email?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            errors.Add("email", "is required");
        }
        else if (trimmed.Length > MaxEmailLength || !EmailShape().IsMatch(trimmed))
        {
            errors.Add("email", "must be an email address like name@example.com");
        }
        return trimmed.ToLowerInvariant();
    }

    private static string ValidateName(FieldErrors errors, string field, string? name)
    {
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            errors.Add(field, "is required");
        }
        else if (trimmed.Length > MaxNameLength)
        {
            errors.Add(field, $"must be at most {MaxNameLength} characters");
        }
        return trimmed;
    }

    private static UserRole? ValidateRole(FieldErrors errors, string? role, bool required)
    {
        switch (role)
        {
            case "admin":
                return UserRole.Admin;
            case "user":
                return UserRole.User;
            case null when !required:
                return null;
            case null or "" when required:
                errors.Add("role", "is required (admin or user)");
                return null;
            default:
                errors.Add("role", "must be one of admin, user");
                return null;
        }
    }

    private static BerthException EmailTaken() =>
        new(BerthError.AlreadyExists, "A user with this email already exists");

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailShape();
}
