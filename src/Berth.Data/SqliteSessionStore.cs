using Berth.Core.Accounts;
using Berth.Core.Errors;
using Berth.Data.Rows;
using Microsoft.EntityFrameworkCore;

namespace Berth.Data;

internal sealed class SqliteSessionStore(IDbContextFactory<BerthDbContext> contexts) : ISessionStore
{
    // A session request that misses the cache resolves its secret: compiled like the token lookup.
    private static readonly Func<BerthDbContext, string, Task<SessionRow?>> s_findByHash =
        EF.CompileAsyncQuery((BerthDbContext db, string hash) =>
            db.Sessions.AsNoTracking().FirstOrDefault(s => s.SecretHash == hash));

    public async Task AddSessionAsync(Session session, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Sessions.Add(session.ToRow());
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (SqliteErrors.IsForeignKeyViolation(e))
        {
            throw new BerthException(BerthError.NotFound, "User not found", inner: e);
        }
    }

    public async Task<Session?> FindSessionByHashAsync(string secretHash, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await s_findByHash(db, secretHash))?.ToRecord();
    }

    public async Task<IReadOnlyList<Session>> ListSessionsAsync(Guid userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Sessions.AsNoTracking()
            .Where(s => s.UserId == userId && s.EndedAt == null && s.ExpiresAt > now)
            .ToListAsync(cancellationToken);
        return rows.ConvertAll(r => r.ToRecord());
    }

    public async Task TouchSessionAsync(Guid sessionId, DateTimeOffset lastUsedAt, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Sessions
            .Where(s => s.Id == sessionId && s.LastUsedAt < lastUsedAt)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LastUsedAt, lastUsedAt), cancellationToken);
    }

    public async Task<bool> EndSessionAsync(Guid userId, Guid sessionId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var ended = await db.Sessions
            .Where(s => s.Id == sessionId && s.UserId == userId && s.EndedAt == null && s.ExpiresAt > at)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.EndedAt, at), cancellationToken);
        return ended > 0;
    }

    public async Task EndSessionsAsync(Guid userId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Sessions
            .Where(s => s.UserId == userId && s.EndedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.EndedAt, at), cancellationToken);
    }

    public async Task DeleteDeadSessionsAsync(Guid userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Sessions
            .Where(s => s.UserId == userId && (s.EndedAt != null || s.ExpiresAt <= now))
            .ExecuteDeleteAsync(cancellationToken);
    }
}
