using Berth.Core.Accounts;
using Berth.Core.Errors;
using Microsoft.EntityFrameworkCore;

namespace Berth.Data;

internal sealed class SqliteRefreshTokenStore(IDbContextFactory<BerthDbContext> contexts) : IRefreshTokenStore
{
    public async Task AddAsync(RefreshToken token, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.RefreshTokens.Where(t => t.UserId == token.UserId && t.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
        db.RefreshTokens.Add(token.ToRow());
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (SqliteErrors.IsForeignKeyViolation(e))
        {
            throw new BerthException(BerthError.NotFound, "User not found", inner: e);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<RefreshToken?> FindByHashAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.RefreshTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == tokenHash, cancellationToken);
        return row?.ToRecord();
    }

    public async Task<bool> RotateAsync(Guid spentId, RefreshToken next, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The condition makes the spend atomic: of two exchanges of one token, only one updates a row.
        var spent = await db.RefreshTokens
            .Where(t => t.Id == spentId && t.UsedAt == null && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, at), cancellationToken);
        if (spent == 0)
        {
            return false;
        }
        db.RefreshTokens.Add(next.ToRow());
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task RevokeFamilyAsync(Guid familyId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.RefreshTokens
            .Where(t => t.FamilyId == familyId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, at), cancellationToken);
    }
}
