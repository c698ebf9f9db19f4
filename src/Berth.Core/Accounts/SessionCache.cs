using System.Collections.Concurrent;

namespace Berth.Core.Accounts;

/// <summary>
/// Secret hash → session for the authentication of every session request, so that a hit costs no
/// store query, like <see cref="TokenCache"/> for tokens. It also holds each session's last use, which
/// the store learns at most once per <see cref="SessionService.TouchInterval"/>. Correct only because
/// this server is the single writer of its store: every end of a session goes through
/// <see cref="SessionService"/>, which invalidates here. Register one instance per process.
/// </summary>
public sealed class SessionCache
{
    // Past this many entries the cache starts over rather than tracking recency.
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, CachedSession> _byHash = new(StringComparer.Ordinal);
    private long _generation;

    /// <summary>Read before loading from the store; pass to <see cref="Add"/>.</summary>
    internal long Generation => Interlocked.Read(ref _generation);

    internal bool TryGet(string secretHash, out CachedSession session) =>
        _byHash.TryGetValue(secretHash, out session!);

    /// <summary>
    /// Caches what was loaded from the store while the generation was <paramref name="generationSeen"/>;
    /// when an invalidation ran in the meantime the session may have ended, so the entry is dropped.
    /// </summary>
    internal void Add(string secretHash, CachedSession session, long generationSeen)
    {
        if (_byHash.Count >= MaxEntries)
        {
            _byHash.Clear();
        }
        _byHash[secretHash] = session;
        if (Generation != generationSeen)
        {
            _byHash.TryRemove(secretHash, out _);
        }
    }

    /// <summary>The cached sessions of a user, for the fresher last use they know of.</summary>
    internal IEnumerable<CachedSession> ForUser(Guid userId) =>
        _byHash.Values.Where(c => c.Session.UserId == userId);

    internal void InvalidateSession(Guid sessionId) => Invalidate(c => c.Session.Id == sessionId);

    internal void InvalidateUser(Guid userId) => Invalidate(c => c.Session.UserId == userId);

    private void Invalidate(Func<CachedSession, bool> match)
    {
        // Bump first: a reader that loaded before this point cannot keep its entry (see Add).
        Interlocked.Increment(ref _generation);
        foreach (var (hash, cached) in _byHash)
        {
            if (match(cached))
            {
                _byHash.TryRemove(hash, out _);
            }
        }
    }
}

/// <summary>A session as loaded, with its last use kept in memory between writes to the store.</summary>
internal sealed class CachedSession(Session session)
{
    private long _lastUsedTicks = session.LastUsedAt.UtcTicks;
    private long _storedTicks = session.LastUsedAt.UtcTicks;

    public Session Session { get; } = session;

    public DateTimeOffset LastUsedAt => new(Interlocked.Read(ref _lastUsedTicks), TimeSpan.Zero);

    /// <summary>Records a use; true for the one caller that should write it to the store, once per <paramref name="interval"/>.</summary>
    public bool Touch(DateTimeOffset now, TimeSpan interval)
    {
        var ticks = now.UtcTicks;
        var seen = Interlocked.Read(ref _lastUsedTicks);
        while (ticks > seen)
        {
            var previous = Interlocked.CompareExchange(ref _lastUsedTicks, ticks, seen);
            if (previous == seen)
            {
                break;
            }
            seen = previous;
        }
        var stored = Interlocked.Read(ref _storedTicks);
        return ticks - stored >= interval.Ticks
            && Interlocked.CompareExchange(ref _storedTicks, ticks, stored) == stored;
    }
}
