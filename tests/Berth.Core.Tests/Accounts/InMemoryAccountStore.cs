using Berth.Core.Accounts;
using Passwords = Berth.Core.Accounts.Passwords;
using Berth.Core.Errors;
using Berth.Core.Persistence;

namespace Berth.Core.Tests.Accounts;

/// <summary>An account store in memory, counting token lookups and able to hold one back.</summary>
internal sealed class InMemoryAccountStore : IAccountStore
{
    private int _tokenLookups;

    public int TokenLookups => Volatile.Read(ref _tokenLookups);

    /// <summary>When set, FindUserAsync waits for it: lets a test interleave a write with a read.</summary>
    public TaskCompletionSource? HoldUserLookup { get; set; }

    public TaskCompletionSource UserLookupStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly Lock _lock = new();
    private readonly List<User> _users = [];
    private readonly List<AccessToken> _tokens = [];
    private readonly Dictionary<Guid, Passwords.PasswordAccount> _passwords = [];

    public async Task<User?> FindUserAsync(Guid id, CancellationToken cancellationToken)
    {
        User? user;
        lock (_lock)
        {
            user = _users.Find(u => u.Id == id);
        }
        if (HoldUserLookup is { } hold)
        {
            UserLookupStarted.TrySetResult();
            await hold.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
        return user;
    }

    public Task<User?> FindUserByEmailAsync(string email, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_users.Find(u => string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase)));
        }
    }

    public Task<Page<User>> ListUsersAsync(int pageNumber, int limit, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var items = _users.OrderBy(u => u.Id).Skip((pageNumber - 1) * limit).Take(limit).ToList();
            return Task.FromResult(new Page<User>(items, pageNumber, limit, _users.Count));
        }
    }

    public Task AddUserAsync(User user, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_users.Exists(u => string.Equals(u.Email, user.Email, StringComparison.OrdinalIgnoreCase)))
            {
                throw new BerthException(BerthError.AlreadyExists, "A user with this email already exists");
            }
            _users.Add(user);
        }
        return Task.CompletedTask;
    }

    public Task UpdateUserAsync(User user, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var index = _users.FindIndex(u => u.Id == user.Id);
            if (index < 0)
            {
                throw BerthException.NotFound("User");
            }
            _users[index] = user;
        }
        return Task.CompletedTask;
    }

    public Task AddTokenAsync(AccessToken token, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_tokens.Exists(t => t.TokenHash == token.TokenHash))
            {
                throw new BerthException(BerthError.AlreadyExists, "Token already exists");
            }
            _tokens.Add(token);
        }
        return Task.CompletedTask;
    }

    public Task<AccessToken?> FindTokenByHashAsync(string tokenHash, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _tokenLookups);
        lock (_lock)
        {
            return Task.FromResult(_tokens.Find(t => t.TokenHash == tokenHash));
        }
    }

    public Task<IReadOnlyList<AccessToken>> ListTokensAsync(Guid userId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<AccessToken> tokens = _tokens.Where(t => t.UserId == userId && t.RevokedAt is null).OrderBy(t => t.Id).ToList();
            return Task.FromResult(tokens);
        }
    }

    public Task<bool> RevokeTokenAsync(Guid userId, Guid tokenId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var index = _tokens.FindIndex(t => t.Id == tokenId && t.UserId == userId && t.RevokedAt is null);
            if (index < 0)
            {
                return Task.FromResult(false);
            }
            _tokens[index] = _tokens[index] with { RevokedAt = at };
            return Task.FromResult(true);
        }
    }

    public Task<Passwords.PasswordAccount?> FindPasswordAccountAsync(Guid userId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            // A copy, as a database would hand out: the caller's changes count only once saved.
            return Task.FromResult(_passwords.TryGetValue(userId, out var stored) ? Copy(stored) : null);
        }
    }

    public Task SavePasswordAccountAsync(Passwords.PasswordAccount account, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _passwords[account.UserId] = Copy(account);
        }
        return Task.CompletedTask;
    }

    private static Passwords.PasswordAccount Copy(Passwords.PasswordAccount account) => new()
    {
        UserId = account.UserId,
        Email = account.Email,
        PasswordHash = account.PasswordHash,
        SecurityStamp = account.SecurityStamp,
        AccessFailedCount = account.AccessFailedCount,
        LockoutEnd = account.LockoutEnd,
    };
}
