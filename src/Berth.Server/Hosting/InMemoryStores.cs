using Berth.Core.Accounts;
using Berth.Core.Errors;
using Berth.Core.Persistence;

namespace Berth.Server.Hosting;

// TEMPORARY: process-memory stores so the host runs before the SQLite stores are wired in
// (see AddBerthStorage). Delete this file when Berth.Data is registered there.

internal static class InMemoryStoreRegistration
{
    public static IServiceCollection AddTemporaryInMemoryStores(this IServiceCollection services)
    {
        services.AddSingleton<IAccountStore, InMemoryAccountStore>();
        services.AddSingleton<IIdempotencyStore, InMemoryIdempotencyStore>();
        return services;
    }
}

internal sealed class InMemoryAccountStore : IAccountStore
{
    private readonly Lock _lock = new();
    private readonly List<User> _users = [];
    private readonly List<AccessToken> _tokens = [];

    public Task<User?> FindUserAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_users.Find(u => u.Id == id));
        }
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
}

internal sealed class InMemoryIdempotencyStore : IIdempotencyStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(Guid UserId, string Key), (string Fingerprint, StoredResponse Response)> _responses = [];

    public Task<(string Fingerprint, StoredResponse Response)?> FindAsync(Guid userId, string key, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<(string, StoredResponse)?>(
                _responses.TryGetValue((userId, key), out var stored) ? stored : null);
        }
    }

    public Task SaveAsync(Guid userId, string key, string fingerprint, StoredResponse response, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _responses[(userId, key)] = (fingerprint, response);
        }
        return Task.CompletedTask;
    }
}
