namespace Berth.Core.Accounts;

/// <summary>
/// A browser sign-in. The secret lives only in the user's cookie; the server keeps its SHA-256 hash,
/// and the hash of the CSRF token that every mutating request of the session must repeat.
/// </summary>
public sealed record Session
{
    public required Guid Id { get; init; }
    public required Guid UserId { get; init; }
    public required string SecretHash { get; init; }
    public required string CsrfTokenHash { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The last request of the session, as far as the store knows (it is written at most once a minute).</summary>
    public required DateTimeOffset LastUsedAt { get; init; }

    /// <summary>The end of the absolute lifetime: no use extends it.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>When the session was signed out, ended by its user or ended by a ban; null while it is live.</summary>
    public DateTimeOffset? EndedAt { get; init; }
}

/// <summary>A session just started: the only time the server holds its secret.</summary>
public sealed record StartedSession(Session Session, string Secret, string CsrfToken);

/// <summary>What a presented session cookie turned out to be (the user is checked apart, as for every credential).</summary>
public abstract record SessionAuthenticationResult
{
    public static readonly SessionAuthenticationResult Invalid = new InvalidSession();
    public static readonly SessionAuthenticationResult Expired = new ExpiredSession();

    /// <summary>The session is live; <see cref="Session.LastUsedAt"/> is this request.</summary>
    public sealed record Success(Session Session) : SessionAuthenticationResult;

    /// <summary>Unknown or malformed.</summary>
    public sealed record InvalidSession : SessionAuthenticationResult;

    /// <summary>
    /// Signed out, ended by its user, or ended by a ban: the user is named so that a banned user's
    /// browser is told it is banned rather than only that its session is gone.
    /// </summary>
    public sealed record EndedSession(Guid UserId) : SessionAuthenticationResult;

    /// <summary>Idle for too long, or past its absolute lifetime.</summary>
    public sealed record ExpiredSession : SessionAuthenticationResult;
}
