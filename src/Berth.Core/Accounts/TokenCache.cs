namespace Berth.Core.Accounts;

/// <summary>
/// Token hash → (user, token) for the authentication of every request, so that a hit costs no store
/// query. Correct only because this server is the single writer of its account store: every change
/// that affects authentication (revoke, ban, role change) goes through <see cref="AccountService"/>,
/// which invalidates here. Register one instance per process.
/// </summary>
public sealed class TokenCache
{
    private readonly CacheGeneration _generation = new();
    private readonly LoadedCache<string, CachedCredential> _byHash;
    private readonly LoadedCache<Guid, User> _users;
    private readonly LoadedCache<string, Guid> _userIdsByEmail;

    public TokenCache()
    {
        _byHash = new(_generation, StringComparer.Ordinal);
        _users = new(_generation);
        _userIdsByEmail = new(_generation, StringComparer.Ordinal);
    }

    /// <summary>Read before loading from the store; pass to the <c>Add</c> methods.</summary>
    internal long Generation => _generation.Current;

    internal bool TryGet(string tokenHash, out CachedCredential credential) => _byHash.TryGet(tokenHash, out credential);

    internal void Add(string tokenHash, CachedCredential credential, long generationSeen) =>
        _byHash.Add(tokenHash, credential, generationSeen);

    internal bool TryGetUser(Guid userId, out User user) => _users.TryGet(userId, out user);

    /// <summary>Caches a user for credentials that name one (sessions, JWTs, OAuth tokens).</summary>
    internal void AddUser(User user, long generationSeen) => _users.Add(user.Id, user, generationSeen);

    internal bool TryGetUserId(string normalizedEmail, out Guid userId) => _userIdsByEmail.TryGet(normalizedEmail, out userId);

    /// <summary>Remembers whose email this is, for credentials that name their user by email (external OIDC tokens).</summary>
    internal void AddUserEmail(string normalizedEmail, Guid userId, long generationSeen) =>
        _userIdsByEmail.Add(normalizedEmail, userId, generationSeen);

    internal void InvalidateUser(Guid userId)
    {
        _generation.Advance();
        _byHash.RemoveWhere((_, c) => c.User.Id == userId);
        _users.RemoveWhere((id, _) => id == userId);
        _userIdsByEmail.RemoveWhere((_, id) => id == userId);
    }

    internal void InvalidateToken(Guid tokenId)
    {
        _generation.Advance();
        _byHash.RemoveWhere((_, c) => c.Token.Id == tokenId);
    }
}

internal sealed record CachedCredential(User User, AccessToken Token);
