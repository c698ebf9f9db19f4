using Berth.Core.Audit;
using Berth.Core.Persistence;
using Berth.Data.Rows;
using Microsoft.EntityFrameworkCore;

namespace Berth.Data;

internal sealed class SqliteAuditStore(IDbContextFactory<BerthDbContext> contexts) : IAuditStore
{
    public async Task AddAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return;
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.AuditLog.AddRange(entries.Select(ToRow));
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<Page<AuditEntry>> ListAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = db.AuditLog.AsNoTracking();
        if (query.UserId is { } userId)
        {
            rows = rows.Where(r => r.UserId == userId);
        }
        if (query.Denied is { } denied)
        {
            rows = rows.Where(r => r.Denied == denied);
        }
        if (query.Method is { } method)
        {
            rows = rows.Where(r => r.Method == method);
        }
        if (query.Since is { } since)
        {
            rows = rows.Where(r => r.Time >= since);
        }
        if (query.Until is { } until)
        {
            rows = rows.Where(r => r.Time < until);
        }
        var total = await rows.CountAsync(cancellationToken);
        var (skip, take) = Paging.Window(query.PageNumber, query.Limit);
        var page = total <= skip || take == 0
            ? []
            : await rows.OrderByDescending(r => r.Time).ThenByDescending(r => r.Id)
                .Skip(skip).Take(take).ToListAsync(cancellationToken);
        return new Page<AuditEntry>(page.ConvertAll(ToRecord), query.PageNumber, query.Limit, total);
    }

    private static AuditRow ToRow(AuditEntry e) => new()
    {
        Id = e.Id,
        Time = e.Time,
        UserId = e.UserId,
        TokenId = e.TokenId,
        Method = e.Method,
        Route = e.Route,
        Path = e.Path,
        TargetId = e.TargetId,
        Status = e.Status,
        Denied = e.Denied,
        ErrorCode = e.ErrorCode,
        SourceAddress = e.SourceAddress,
        RequestId = e.RequestId,
    };

    private static AuditEntry ToRecord(AuditRow r) => new()
    {
        Id = r.Id,
        Time = r.Time,
        UserId = r.UserId,
        TokenId = r.TokenId,
        Method = r.Method,
        Route = r.Route,
        Path = r.Path,
        TargetId = r.TargetId,
        Status = r.Status,
        ErrorCode = r.ErrorCode,
        SourceAddress = r.SourceAddress,
        RequestId = r.RequestId,
    };
}
