using Berth.Core.Commands;
using Berth.Core.Persistence;
using Berth.Data.Rows;
using Microsoft.EntityFrameworkCore;

namespace Berth.Data;

/// <summary>Commands and their output. A singleton over short-lived pooled contexts, like the other stores.</summary>
internal sealed class SqliteCommandStore(IDbContextFactory<BerthDbContext> contexts) : ICommandStore
{
    public async Task AddAsync(CommandExecution command, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Commands.Add(ToRow(command));
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<CommandExecution?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Commands.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        return row is null ? null : ToRecord(row);
    }

    public async Task<Page<CommandExecution>> ListAsync(Guid containerId, int pageNumber, int limit, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var history = db.Commands.AsNoTracking().Where(c => c.ContainerId == containerId);
        var total = await history.CountAsync(cancellationToken);
        var (skip, take) = Paging.Window(pageNumber, limit);
        var rows = total <= skip || take == 0
            ? []
            : await WithoutOutput(history.OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id).Skip(skip).Take(take))
                .ToListAsync(cancellationToken);
        return new Page<CommandExecution>(rows.ConvertAll(ToRecord), pageNumber, limit, total);
    }

    public async Task<IReadOnlyList<CommandExecution>> ListByStatusAsync(CommandStatus status, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await WithoutOutput(db.Commands.AsNoTracking().Where(c => c.Status == status)
                .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id))
            .ToListAsync(cancellationToken);
        return rows.ConvertAll(ToRecord);
    }

    public async Task<bool> TryUpdateAsync(CommandExecution updated, CommandStatus expected, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var changed = await db.Commands
            .Where(c => c.Id == updated.Id && c.Status == expected)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Status, updated.Status)
                .SetProperty(c => c.ExitCode, updated.ExitCode)
                .SetProperty(c => c.Stdout, updated.Stdout)
                .SetProperty(c => c.Stderr, updated.Stderr)
                .SetProperty(c => c.StdoutTruncated, updated.StdoutTruncated)
                .SetProperty(c => c.StderrTruncated, updated.StderrTruncated)
                .SetProperty(c => c.Reason, updated.Reason)
                .SetProperty(c => c.StartedAt, updated.StartedAt)
                .SetProperty(c => c.FinishedAt, updated.FinishedAt),
                cancellationToken);
        return changed == 1;
    }

    // A history page never carries up to two MiB of output per entry.
    private static IQueryable<CommandRow> WithoutOutput(IQueryable<CommandRow> rows) =>
        rows.Select(c => new CommandRow
        {
            Id = c.Id,
            ContainerId = c.ContainerId,
            UserId = c.UserId,
            Script = c.Script,
            Argv = c.Argv,
            Env = c.Env,
            WorkingDir = c.WorkingDir,
            TimeoutSeconds = c.TimeoutSeconds,
            Status = c.Status,
            ExitCode = c.ExitCode,
            StdoutTruncated = c.StdoutTruncated,
            StderrTruncated = c.StderrTruncated,
            Reason = c.Reason,
            CreatedAt = c.CreatedAt,
            StartedAt = c.StartedAt,
            FinishedAt = c.FinishedAt,
        });

    private static CommandRow ToRow(CommandExecution c) => new()
    {
        Id = c.Id,
        ContainerId = c.ContainerId,
        UserId = c.UserId,
        Script = c.Script,
        Argv = StoreJson.SerializeCommand(c.Argv)!,
        Env = StoreJson.SerializeEnv(c.Env),
        WorkingDir = c.WorkingDir,
        TimeoutSeconds = c.TimeoutSeconds,
        Status = c.Status,
        ExitCode = c.ExitCode,
        Stdout = c.Stdout,
        Stderr = c.Stderr,
        StdoutTruncated = c.StdoutTruncated,
        StderrTruncated = c.StderrTruncated,
        Reason = c.Reason,
        CreatedAt = c.CreatedAt,
        StartedAt = c.StartedAt,
        FinishedAt = c.FinishedAt,
    };

    private static CommandExecution ToRecord(CommandRow r) => new()
    {
        Id = r.Id,
        ContainerId = r.ContainerId,
        UserId = r.UserId,
        Script = r.Script,
        Argv = StoreJson.DeserializeCommand(r.Argv) ?? [],
        Env = StoreJson.DeserializeEnv(r.Env),
        WorkingDir = r.WorkingDir,
        TimeoutSeconds = r.TimeoutSeconds,
        Status = r.Status,
        ExitCode = r.ExitCode,
        Stdout = r.Stdout,
        Stderr = r.Stderr,
        StdoutTruncated = r.StdoutTruncated,
        StderrTruncated = r.StderrTruncated,
        Reason = r.Reason,
        CreatedAt = r.CreatedAt,
        StartedAt = r.StartedAt,
        FinishedAt = r.FinishedAt,
    };
}
