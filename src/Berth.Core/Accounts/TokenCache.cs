using System.Collections.Concurrent;

namespace Berth.Core.Accounts;

/// <summary>
/// Token hash → (user, token) for the authentication of every request, so that a hit costs no store
/// query. Correct only because this server is the single writer of its account store: every change
/// that affects authentication (revoke, ban, role change) goes through <see cref="AccountService"/>,
/// which invalidates here. Register one instance per process.
/// </summary>
public sealed class TokenCache
{
    // Past this many live entries the cache starts over rather than tracking recency; the working set
    // of a self-hosted control plane is far smaller.
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, CachedCredential> _byHash = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, User> _users = new();
    private readonly ConcurrentDictionary<string, Guid> _userIdsByEmail = new(StringComparer.Ordinal);
    private long _generation;

    /// <summary>Read before loading from the store; pass to <see cref="Add"/>.</summary>
    internal long Generation => Interlocked.Read(ref _generation);

    internal bool TryGet(string tokenHash, out CachedCredential credential) =>
        _byHash.TryGetValue(tokenHash, out credential!);

    /// <summary>
    /// Caches what was loaded from the store while the generation was <paramref name="generationSeen"/>.
    /// If an invalidation ran in the meantime the loaded values may be stale, so the entry is dropped.
    /// </summary>
    internal void Add(string tokenHash, CachedCredential credential, long generationSeen)
    {
        if (_byHash.Count >= MaxEntries)
        {
            _byHash.Clear();
        }
        _byHash[tokenHash] = credential;
        if (Generation != generationSeen)
        {
            _byHash.TryRemove(tokenHash, out _);
        }
    }

    internal bool TryGetUser(Guid userId, out User user) => _users.TryGetValue(userId, out user!);

    /// <summary>Caches a user for credentials that name one (sessions, JWTs, OAuth tokens); see <see cref="Add"/>.</summary>
    internal void AddUser(User user, long generationSeen)
    {
        if (_users.Count >= MaxEntries)
        {
            _users.Clear();
        }
        _users[user.Id] = user;
        if (Generation != generationSeen)
        {
            _users.TryRemove(user.Id, out _);
        }
    }

    internal bool TryGetUserId(string normalizedEmail, out Guid userId) => _userIdsByEmail.TryGetValue(normalizedEmail, out userId);

    /// <summary>Remembers whose email this is, for credentials that name their user by email (external OIDC tokens).</summary>
    internal void AddUserEmail(string normalizedEmail, Guid userId, long generationSeen)
    {
        if (_userIdsByEmail.Count >= MaxEntries)
        {
            _userIdsByEmail.Clear();
        }
        _userIdsByEmail[normalizedEmail] = userId;
        if (Generation != generationSeen)
        {
            _userIdsByEmail.TryRemove(normalizedEmail, out _);
        }
    }

    internal void InvalidateUser(Guid userId)
    {
        Invalidate(c => c.User.Id == userId);
        _users.TryRemove(userId, out _);
        foreach (var (email, id) in _userIdsByEmail)
        {
            if (id == userId)
            {
                _userIdsByEmail.TryRemove(email, out _);
            }
        }
    }

    internal void InvalidateToken(Guid tokenId) => Invalidate(c => c.Token.Id == tokenId);

    private void Invalidate(Func<CachedCredential, bool> match)
    {
        // Bump first: a reader that loaded before this point cannot keep its entry (see Add).
        Interlocked.Increment(ref _generation);
        foreach (var (hash, credential) in _byHash)
        {
            if (match(credential))
            {
                _byHash.TryRemove(hash, out _);
            }
        }
    }
}

internal sealed record CachedCredential(User User, AccessToken Token);
