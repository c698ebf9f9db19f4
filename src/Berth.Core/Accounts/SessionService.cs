using Berth.Core.Errors;
using Microsoft.Extensions.Options;

namespace Berth.Core.Accounts;

/// <summary>
/// Browser sessions: starting one for a user whose password was checked, turning a presented cookie
/// into a live session, and ending them (sign-out, by their user, or all of a user's on a ban). Whether
/// the session's user may still act is asked apart (<see cref="AccountService.AuthenticateUserAsync"/>),
/// as for every credential that names its user.
/// </summary>
public sealed class SessionService(
    ISessionStore store, SessionCache cache, AccessRevocations revocations, TimeProvider timeProvider,
    IOptions<SessionLifetimeOptions> options)
{
    /// <summary>How stale the stored last use of a session may be; the cache knows the exact one.</summary>
    public static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    private SessionLifetimeOptions Options => options.Value;

    /// <summary>Starts a session for <paramref name="user"/>; the secret and CSRF token are returned here only.</summary>
    public async Task<StartedSession> StartAsync(User user, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var secret = SessionSecrets.Generate();
        var csrfToken = SessionSecrets.CsrfToken(secret);
        var session = new Session
        {
            Id = Guid.CreateVersion7(now),
            UserId = user.Id,
            SecretHash = SessionSecrets.Hash(secret),
            CsrfTokenHash = SessionSecrets.Hash(csrfToken),
            CreatedAt = now,
            LastUsedAt = now,
            ExpiresAt = now + Options.AbsoluteTimeout,
        };
        // Keeps the table to the sessions that can still matter: each sign-in clears its user's dead ones.
        await store.DeleteDeadSessionsAsync(user.Id, now, cancellationToken);
        await store.AddSessionAsync(session, cancellationToken);
        return new StartedSession(session, secret, csrfToken);
    }

    /// <summary>Runs on every session request; a cache hit touches no store, except for the once-a-minute last use.</summary>
    public async ValueTask<SessionAuthenticationResult> AuthenticateAsync(string? secret, CancellationToken cancellationToken)
    {
        if (!SessionSecrets.HasSecretShape(secret))
        {
            return SessionAuthenticationResult.Invalid;
        }
        var hash = SessionSecrets.Hash(secret!);
        if (!cache.TryGet(hash, out var cached))
        {
            var generation = cache.Generation;
            var stored = await store.FindSessionByHashAsync(hash, cancellationToken);
            if (stored is null)
            {
                return SessionAuthenticationResult.Invalid;
            }
            if (stored.EndedAt is not null)
            {
                return new SessionAuthenticationResult.EndedSession(stored.UserId);
            }
            cached = new CachedSession(stored);
            cache.Add(hash, cached, generation);
        }

        var now = timeProvider.GetUtcNow();
        if (IdleExpiry(cached.Session, cached.LastUsedAt) <= now)
        {
            return SessionAuthenticationResult.Expired;
        }
        if (cached.Touch(now, TouchInterval))
        {
            await store.TouchSessionAsync(cached.Session.Id, now, cancellationToken);
        }
        return new SessionAuthenticationResult.Success(cached.Session with { LastUsedAt = now });
    }

    /// <summary>When the session ends if it is not used again: the idle timeout, capped by the absolute lifetime.</summary>
    public DateTimeOffset IdleExpiresAt(Session session) => IdleExpiry(session, session.LastUsedAt);

    /// <summary>Whether <paramref name="presented"/> is the session's CSRF token.</summary>
    public static bool CsrfMatches(Session session, string? presented) =>
        SessionSecrets.CsrfMatches(session.CsrfTokenHash, presented);

    /// <summary>The user's live sessions, newest first, each with its exact last use.</summary>
    public async Task<IReadOnlyList<Session>> ListAsync(Guid userId, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var stored = await store.ListSessionsAsync(userId, now, cancellationToken);
        var lastUses = cache.ForUser(userId).ToDictionary(c => c.Session.Id, c => c.LastUsedAt);
        return stored
            .Select(s => lastUses.TryGetValue(s.Id, out var used) && used > s.LastUsedAt ? s with { LastUsedAt = used } : s)
            .Where(s => IdleExpiresAt(s) > now)
            .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id)
            .ToList();
    }

    /// <summary>Ends one of the user's sessions; its cookie stops working at once. NOT_FOUND when the user has no such live session.</summary>
    public async Task EndAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken)
    {
        if (!await store.EndSessionAsync(userId, sessionId, timeProvider.GetUtcNow(), cancellationToken))
        {
            throw BerthException.NotFound("Session");
        }
        // After the write: a request that loads the session from now on sees it ended.
        cache.InvalidateSession(sessionId);
        // Streams it opened make no next request; they end now.
        revocations.RevokeCredential(sessionId);
    }

    /// <summary>
    /// Ends every session of the user (a ban, a password reset) but <paramref name="except"/> (the one
    /// changing its own password), and the streams they opened.
    /// </summary>
    public async Task EndAllAsync(Guid userId, CancellationToken cancellationToken, Guid? except = null)
    {
        var now = timeProvider.GetUtcNow();
        var ending = (await store.ListSessionsAsync(userId, now, cancellationToken)).Where(s => s.Id != except).ToList();
        if (except is null)
        {
            await store.EndSessionsAsync(userId, now, cancellationToken);
        }
        else
        {
            foreach (var session in ending)
            {
                await store.EndSessionAsync(userId, session.Id, now, cancellationToken);
            }
        }
        cache.InvalidateUser(userId);
        foreach (var session in ending)
        {
            revocations.RevokeCredential(session.Id);
        }
    }

    private DateTimeOffset IdleExpiry(Session session, DateTimeOffset lastUsedAt)
    {
        var idle = lastUsedAt + Options.IdleTimeout;
        return idle < session.ExpiresAt ? idle : session.ExpiresAt;
    }
}
