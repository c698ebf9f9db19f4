using Berth.Core.Accounts;

namespace Berth.Core.Tests.Accounts;

/// <summary>A session store in memory, counting lookups and last-use writes.</summary>
internal sealed class InMemorySessionStore : ISessionStore
{
    private readonly Lock _lock = new();
    private readonly List<Session> _sessions = [];
    private int _lookups;
    private int _touches;

    public int Lookups => Volatile.Read(ref _lookups);

    public int Touches => Volatile.Read(ref _touches);

    public IReadOnlyList<Session> All
    {
        get
        {
            lock (_lock)
            {
                return [.. _sessions];
            }
        }
    }

    public Task AddSessionAsync(Session session, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _sessions.Add(session);
        }
        return Task.CompletedTask;
    }

    public Task<Session?> FindSessionByHashAsync(string secretHash, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _lookups);
        lock (_lock)
        {
            return Task.FromResult(_sessions.Find(s => s.SecretHash == secretHash));
        }
    }

    public Task<IReadOnlyList<Session>> ListSessionsAsync(Guid userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<Session>>(
                _sessions.Where(s => s.UserId == userId && s.EndedAt is null && s.ExpiresAt > now).ToList());
        }
    }

    public Task TouchSessionAsync(Guid sessionId, DateTimeOffset lastUsedAt, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _touches);
        Replace(s => s.Id == sessionId && s.LastUsedAt < lastUsedAt, s => s with { LastUsedAt = lastUsedAt });
        return Task.CompletedTask;
    }

    public Task<bool> EndSessionAsync(Guid userId, Guid sessionId, DateTimeOffset at, CancellationToken cancellationToken) =>
        Task.FromResult(Replace(s => s.Id == sessionId && s.UserId == userId && s.EndedAt is null && s.ExpiresAt > at,
            s => s with { EndedAt = at }) > 0);

    public Task EndSessionsAsync(Guid userId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        Replace(s => s.UserId == userId && s.EndedAt is null, s => s with { EndedAt = at });
        return Task.CompletedTask;
    }

    public Task DeleteDeadSessionsAsync(Guid userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _sessions.RemoveAll(s => s.UserId == userId && (s.EndedAt is not null || s.ExpiresAt <= now));
        }
        return Task.CompletedTask;
    }

    private int Replace(Predicate<Session> match, Func<Session, Session> change)
    {
        lock (_lock)
        {
            var count = 0;
            for (var i = 0; i < _sessions.Count; i++)
            {
                if (match(_sessions[i]))
                {
                    _sessions[i] = change(_sessions[i]);
                    count++;
                }
            }
            return count;
        }
    }
}
