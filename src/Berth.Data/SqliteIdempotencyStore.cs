using Berth.Core.Persistence;
using Berth.Data.Rows;
using Microsoft.EntityFrameworkCore;

namespace Berth.Data;

internal sealed class SqliteIdempotencyStore(IDbContextFactory<BerthDbContext> contexts, TimeProvider time) : IIdempotencyStore
{
    private static readonly Func<BerthDbContext, Guid, string, Task<IdempotencyRow?>> s_find =
        EF.CompileAsyncQuery((BerthDbContext db, Guid userId, string key) =>
            db.IdempotencyRecords.AsNoTracking().FirstOrDefault(r => r.UserId == userId && r.Key == key));

    public async Task<(string Fingerprint, StoredResponse Response)?> FindAsync(Guid userId, string key, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await s_find(db, userId, key);
        return row is null
            ? null
            : (row.Fingerprint, new StoredResponse(row.StatusCode, row.ContentType, row.Body, row.ETag));
    }

    public async Task SaveAsync(Guid userId, string key, string fingerprint, StoredResponse response, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.IdempotencyRecords.Add(new IdempotencyRow
        {
            UserId = userId,
            Key = key,
            Fingerprint = fingerprint,
            StatusCode = response.StatusCode,
            ContentType = response.ContentType,
            Body = response.Body,
            ETag = response.ETag,
            CreatedAt = time.GetUtcNow(),
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (SqliteErrors.IsUniqueViolation(e))
        {
            // A concurrent repeat got there first; its answer is the one every later repeat replays.
        }
    }
}
