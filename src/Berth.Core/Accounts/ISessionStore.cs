namespace Berth.Core.Accounts;

public interface ISessionStore
{
    Task AddSessionAsync(Session session, CancellationToken cancellationToken);

    Task<Session?> FindSessionByHashAsync(string secretHash, CancellationToken cancellationToken);

    /// <summary>The user's sessions that are not ended and not past their absolute lifetime at <paramref name="now"/>.</summary>
    Task<IReadOnlyList<Session>> ListSessionsAsync(Guid userId, DateTimeOffset now, CancellationToken cancellationToken);

    Task TouchSessionAsync(Guid sessionId, DateTimeOffset lastUsedAt, CancellationToken cancellationToken);

    /// <summary>Ends the user's session; false when the user has no such live session.</summary>
    Task<bool> EndSessionAsync(Guid userId, Guid sessionId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Ends every live session of the user.</summary>
    Task EndSessionsAsync(Guid userId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Deletes the user's sessions that ended or passed their absolute lifetime before <paramref name="now"/>.</summary>
    Task DeleteDeadSessionsAsync(Guid userId, DateTimeOffset now, CancellationToken cancellationToken);
}
