namespace Berth.Core.Accounts;

/// <summary>
/// Tells open long-lived streams (log follows, event streams, terminals, command streams) that their
/// access was taken away. A ban or a token revocation is otherwise checked only when the next request
/// authenticates, and a stream makes no next request: without this it would keep serving for hours.
/// <para>
/// A stream <see cref="Watch"/>es its user and its credential (token id, session id, ...) for as long as
/// it is open and ends when the watch's token is cancelled. <see cref="RevokeUser"/> and
/// <see cref="RevokeCredential"/> cancel every watch of that user or credential; watches taken later get
/// a fresh token, so an unbanned user can stream again. Only open streams are tracked, so ordinary
/// requests never touch this, and a revocation of someone with no open stream costs one lookup.
/// </para>
/// Register one instance per process; every credential kind revokes through it.
/// </summary>
public sealed class AccessRevocations
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Entry> _users = [];
    private readonly Dictionary<Guid, Entry> _credentials = [];

    /// <summary>
    /// Watches <paramref name="userId"/> and, when given, <paramref name="credentialId"/> until the
    /// returned watch is disposed; its <see cref="AccessWatch.Token"/> is cancelled when either is revoked.
    /// </summary>
    public AccessWatch Watch(Guid userId, Guid? credentialId)
    {
        lock (_gate)
        {
            var user = Hold(_users, userId);
            var credential = credentialId is { } id ? Hold(_credentials, id) : null;
            return new AccessWatch(this, userId, user, credentialId, credential);
        }
    }

    /// <summary>Ends every open stream of the user (a ban). Streams opened afterwards are not affected.</summary>
    public void RevokeUser(Guid userId) => Revoke(_users, userId);

    /// <summary>Ends every open stream that authenticated with the credential (a revoked token, a logout).</summary>
    public void RevokeCredential(Guid credentialId) => Revoke(_credentials, credentialId);

    /// <summary>How many users and credentials have open streams; for tests of the bookkeeping.</summary>
    internal int Tracked
    {
        get
        {
            lock (_gate)
            {
                return _users.Count + _credentials.Count;
            }
        }
    }

    private void Revoke(Dictionary<Guid, Entry> entries, Guid id)
    {
        Entry? entry;
        lock (_gate)
        {
            // Removed first: a watch taken from now on gets a fresh entry that this revocation does not end.
            if (!entries.Remove(id, out entry))
            {
                return;
            }
        }
        // The streams' callbacks run on the thread pool: the request that bans must not wait for them.
        _ = entry.Source.CancelAsync();
    }

    private static Entry Hold(Dictionary<Guid, Entry> entries, Guid id)
    {
        if (!entries.TryGetValue(id, out var entry))
        {
            entry = new Entry();
            entries[id] = entry;
        }
        entry.Holders++;
        return entry;
    }

    internal void Release(Guid userId, Entry user, Guid? credentialId, Entry? credential)
    {
        lock (_gate)
        {
            Drop(_users, userId, user);
            if (credentialId is { } id && credential is not null)
            {
                Drop(_credentials, id, credential);
            }
        }
    }

    private static void Drop(Dictionary<Guid, Entry> entries, Guid id, Entry entry)
    {
        entry.Holders--;
        // A revoked entry is no longer in the map; the current one for the id may be a newer entry.
        if (entry.Holders == 0 && entries.TryGetValue(id, out var current) && ReferenceEquals(current, entry))
        {
            entries.Remove(id);
        }
    }

    /// <summary>
    /// One user's or credential's cancellation, shared by its open streams. Its source has no timer, so
    /// an entry that is dropped needs no disposal.
    /// </summary>
    internal sealed class Entry
    {
        public CancellationTokenSource Source { get; } = new();

        public int Holders { get; set; }
    }
}

/// <summary>An open stream's hold on its user and credential; dispose it when the stream ends.</summary>
public sealed class AccessWatch : IDisposable
{
    private readonly AccessRevocations _owner;
    private readonly Guid _userId;
    private readonly AccessRevocations.Entry _user;
    private readonly Guid? _credentialId;
    private readonly AccessRevocations.Entry? _credential;
    private readonly CancellationTokenSource? _both;
    private int _disposed;

    internal AccessWatch(AccessRevocations owner, Guid userId, AccessRevocations.Entry user, Guid? credentialId, AccessRevocations.Entry? credential)
    {
        _owner = owner;
        _userId = userId;
        _user = user;
        _credentialId = credentialId;
        _credential = credential;
        _both = credential is null ? null : CancellationTokenSource.CreateLinkedTokenSource(user.Source.Token, credential.Source.Token);
        Token = _both?.Token ?? user.Source.Token;
    }

    /// <summary>Cancelled when the user or the credential is revoked.</summary>
    public CancellationToken Token { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _both?.Dispose();
            _owner.Release(_userId, _user, _credentialId, _credential);
        }
    }
}
