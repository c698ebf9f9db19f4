using Berth.Core.Accounts;
using Berth.Core.Accounts.Passwords;
using Berth.Core.Errors;
using Berth.Core.Persistence;
using Berth.Data.Rows;
using Microsoft.EntityFrameworkCore;

namespace Berth.Data;

internal sealed class SqliteAccountStore(IDbContextFactory<BerthDbContext> contexts) : IAccountStore
{
    // Every authenticated request resolves its token and then its user: both stay compiled.
    private static readonly Func<BerthDbContext, string, Task<TokenRow?>> s_findTokenByHash =
        EF.CompileAsyncQuery((BerthDbContext db, string hash) =>
            db.Tokens.AsNoTracking().FirstOrDefault(t => t.TokenHash == hash));

    private static readonly Func<BerthDbContext, Guid, Task<UserRow?>> s_findUser =
        EF.CompileAsyncQuery((BerthDbContext db, Guid id) =>
            db.Users.AsNoTracking().FirstOrDefault(u => u.Id == id));

    private static readonly Func<BerthDbContext, string, Task<UserRow?>> s_findUserByEmail =
        EF.CompileAsyncQuery((BerthDbContext db, string normalizedEmail) =>
            db.Users.AsNoTracking().FirstOrDefault(u => u.NormalizedEmail == normalizedEmail));

    public async Task<User?> FindUserAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await s_findUser(db, id))?.ToRecord();
    }

    public async Task<User?> FindUserByEmailAsync(string email, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await s_findUserByEmail(db, RowMapping.NormalizeEmail(email)))?.ToRecord();
    }

    public async Task<Page<User>> ListUsersAsync(int pageNumber, int limit, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var total = await db.Users.CountAsync(cancellationToken);
        var (skip, take) = Paging.Window(pageNumber, limit);
        var rows = total <= skip || take == 0
            ? []
            : await db.Users.AsNoTracking().OrderBy(u => u.CreatedAt).ThenBy(u => u.Id)
                .Skip(skip).Take(take).ToListAsync(cancellationToken);
        return new Page<User>(rows.ConvertAll(r => r.ToRecord()), pageNumber, limit, total);
    }

    public async Task AddUserAsync(User user, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Users.Add(user.ToRow());
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (SqliteErrors.IsUniqueViolation(e))
        {
            throw EmailTaken(user.Email, e);
        }
    }

    public async Task UpdateUserAsync(User user, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entry = db.Users.Attach(user.ToRow());
        entry.State = EntityState.Modified;
        entry.Property(u => u.CreatedAt).IsModified = false;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException e)
        {
            // No row matched the key: the user does not exist.
            throw new BerthException(BerthError.NotFound, "User not found", inner: e);
        }
        catch (DbUpdateException e) when (SqliteErrors.IsUniqueViolation(e))
        {
            throw EmailTaken(user.Email, e);
        }
    }

    public async Task<PasswordAccount?> FindPasswordAccountAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.PasswordAccounts.AsNoTracking().FirstOrDefaultAsync(p => p.UserId == userId, cancellationToken);
        var user = row is null ? null : await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
        return row is null || user is null ? null : new PasswordAccount
        {
            UserId = row.UserId,
            Email = user.Email,
            PasswordHash = row.PasswordHash,
            SecurityStamp = row.SecurityStamp,
            AccessFailedCount = row.AccessFailedCount,
            LockoutEnd = row.LockoutEnd,
        };
    }

    public async Task SavePasswordAccountAsync(PasswordAccount account, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = new PasswordAccountRow
        {
            UserId = account.UserId,
            PasswordHash = account.PasswordHash,
            SecurityStamp = account.SecurityStamp,
            AccessFailedCount = account.AccessFailedCount,
            LockoutEnd = account.LockoutEnd,
        };
        var exists = await db.PasswordAccounts.AnyAsync(p => p.UserId == account.UserId, cancellationToken);
        db.Entry(row).State = exists ? EntityState.Modified : EntityState.Added;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (SqliteErrors.IsForeignKeyViolation(e))
        {
            throw new BerthException(BerthError.NotFound, "User not found", inner: e);
        }
    }

    public async Task AddTokenAsync(AccessToken token, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Tokens.Add(token.ToRow());
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (SqliteErrors.IsUniqueViolation(e))
        {
            throw new BerthException(BerthError.AlreadyExists, "The token already exists", inner: e);
        }
        catch (DbUpdateException e) when (SqliteErrors.IsForeignKeyViolation(e))
        {
            throw new BerthException(BerthError.NotFound, "User not found", inner: e);
        }
    }

    public async Task<AccessToken?> FindTokenByHashAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await s_findTokenByHash(db, tokenHash))?.ToRecord();
    }

    public async Task<IReadOnlyList<AccessToken>> ListTokensAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Tokens.AsNoTracking()
            .Where(t => t.UserId == userId && t.RevokedAt == null)
            .OrderBy(t => t.CreatedAt).ThenBy(t => t.Id)
            .ToListAsync(cancellationToken);
        return rows.ConvertAll(r => r.ToRecord());
    }

    public async Task<bool> RevokeTokenAsync(Guid userId, Guid tokenId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var revoked = await db.Tokens
            .Where(t => t.Id == tokenId && t.UserId == userId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, at), cancellationToken);
        return revoked > 0;
    }

    private static BerthException EmailTaken(string email, Exception inner) =>
        new(BerthError.AlreadyExists, $"A user with email '{email}' already exists", inner: inner);
}
