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
    private readonly CacheGeneration _generation = new();
    private readonly LoadedCache<string, CachedSession> _byHash;

    public SessionCache() => _byHash = new(_generation, StringComparer.Ordinal);

    /// <summary>Read before loading from the store; pass to <see cref="Add"/>.</summary>
    internal long Generation => _generation.Current;

    internal bool TryGet(string secretHash, out CachedSession session) => _byHash.TryGet(secretHash, out session);

    internal void Add(string secretHash, CachedSession session, long generationSeen) =>
        _byHash.Add(secretHash, session, generationSeen);

    /// <summary>The cached sessions of a user, for the fresher last use they know of.</summary>
    internal IEnumerable<CachedSession> ForUser(Guid userId) => _byHash.Values.Where(c => c.Session.UserId == userId);

    internal void InvalidateSession(Guid sessionId) => Invalidate(c => c.Session.Id == sessionId);

    internal void InvalidateUser(Guid userId) => Invalidate(c => c.Session.UserId == userId);

    private void Invalidate(Func<CachedSession, bool> match)
    {
        _generation.Advance();
        _byHash.RemoveWhere((_, cached) => match(cached));
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
