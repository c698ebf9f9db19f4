using Berth.Core.Errors;
using Berth.Core.Persistence;
using Berth.Core.Projects;
using Berth.Data.Rows;
using Microsoft.EntityFrameworkCore;

namespace Berth.Data;

/// <summary>Projects, members and custom roles; members and roles go with their project.</summary>
internal sealed class SqliteProjectStore(IDbContextFactory<BerthDbContext> contexts) : IProjectStore
{
    // Every container request of a project member looks the membership up.
    private static readonly Func<BerthDbContext, Guid, Guid, Task<ProjectMemberRow?>> s_findMember =
        EF.CompileAsyncQuery((BerthDbContext db, Guid projectId, Guid userId) =>
            db.ProjectMembers.AsNoTracking().FirstOrDefault(m => m.ProjectId == projectId && m.UserId == userId));

    public async Task AddAsync(Project project, ProjectMember owner, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Projects.Add(ToRow(project));
        db.ProjectMembers.Add(ToRow(owner));
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<Project?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        return row is null ? null : ToRecord(row);
    }

    public async Task<Page<Project>> ListAsync(Guid? memberId, int pageNumber, int limit, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var projects = db.Projects.AsNoTracking();
        if (memberId is { } userId)
        {
            projects = projects.Where(p => db.ProjectMembers.Any(m => m.ProjectId == p.Id && m.UserId == userId));
        }
        var total = await projects.CountAsync(cancellationToken);
        var (skip, take) = Paging.Window(pageNumber, limit);
        var rows = total <= skip || take == 0
            ? []
            : await projects.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id).Skip(skip).Take(take).ToListAsync(cancellationToken);
        return new Page<Project>(rows.ConvertAll(ToRecord), pageNumber, limit, total);
    }

    public async Task UpdateAsync(Project project, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var updated = await db.Projects.Where(p => p.Id == project.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.Name, project.Name).SetProperty(p => p.UpdatedAt, project.UpdatedAt), cancellationToken);
        if (updated == 0)
        {
            throw BerthException.NotFound("Project");
        }
    }

    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Members and roles cascade with the project.
        await db.Projects.Where(p => p.Id == id).ExecuteDeleteAsync(cancellationToken);
    }

    public async Task<ProjectMember?> FindMemberAsync(Guid projectId, Guid userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await s_findMember(db, projectId, userId);
        return row is null ? null : ToRecord(row);
    }

    public async Task<IReadOnlyList<ProjectMember>> ListMembersAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.ProjectMembers.AsNoTracking().Where(m => m.ProjectId == projectId)
            .OrderBy(m => m.CreatedAt).ThenBy(m => m.UserId).ToListAsync(cancellationToken);
        return rows.ConvertAll(ToRecord);
    }

    public async Task<IReadOnlyList<Guid>> ListProjectIdsOfAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ProjectMembers.AsNoTracking().Where(m => m.UserId == userId).Select(m => m.ProjectId).ToListAsync(cancellationToken);
    }

    public async Task AddMemberAsync(ProjectMember member, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.ProjectMembers.Add(ToRow(member));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (SqliteErrors.IsUniqueViolation(e))
        {
            throw new BerthException(BerthError.AlreadyExists, "The user is already a member of the project; change their role instead", inner: e);
        }
        catch (DbUpdateException e) when (SqliteErrors.IsForeignKeyViolation(e))
        {
            throw new BerthException(BerthError.NotFound, "Project not found", inner: e);
        }
    }

    public async Task UpdateMemberAsync(ProjectMember member, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var updated = await db.ProjectMembers.Where(m => m.ProjectId == member.ProjectId && m.UserId == member.UserId)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Role, member.Role), cancellationToken);
        if (updated == 0)
        {
            throw BerthException.NotFound("Member");
        }
    }

    public async Task<bool> RemoveMemberAsync(Guid projectId, Guid userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ProjectMembers.Where(m => m.ProjectId == projectId && m.UserId == userId).ExecuteDeleteAsync(cancellationToken) > 0;
    }

    public async Task<IReadOnlyList<ProjectRole>> ListRolesAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.ProjectRoles.AsNoTracking().Where(r => r.ProjectId == projectId)
            .OrderBy(r => r.Name).ToListAsync(cancellationToken);
        return rows.ConvertAll(ToRecord);
    }

    public async Task<ProjectRole?> FindRoleAsync(Guid projectId, string name, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.ProjectRoles.AsNoTracking().FirstOrDefaultAsync(r => r.ProjectId == projectId && r.Name == name, cancellationToken);
        return row is null ? null : ToRecord(row);
    }

    public async Task AddRoleAsync(ProjectRole role, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.ProjectRoles.Add(new ProjectRoleRow
        {
            ProjectId = role.ProjectId,
            Name = role.Name,
            Permissions = string.Join(',', role.Permissions.Select(p => p.ToWire())),
            CreatedAt = role.CreatedAt,
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (SqliteErrors.IsUniqueViolation(e))
        {
            throw new BerthException(BerthError.AlreadyExists, $"The project already has a role named '{role.Name}'", inner: e);
        }
    }

    public async Task UpdateRoleAsync(ProjectRole role, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var permissions = string.Join(',', role.Permissions.Select(p => p.ToWire()));
        var updated = await db.ProjectRoles.Where(r => r.ProjectId == role.ProjectId && r.Name == role.Name)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Permissions, permissions), cancellationToken);
        if (updated == 0)
        {
            throw BerthException.NotFound("Role");
        }
    }

    public async Task<bool> RemoveRoleAsync(Guid projectId, string name, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ProjectRoles.Where(r => r.ProjectId == projectId && r.Name == name).ExecuteDeleteAsync(cancellationToken) > 0;
    }

    private static ProjectRow ToRow(Project p) => new()
    {
        Id = p.Id, Name = p.Name, CreatedBy = p.CreatedBy, CreatedAt = p.CreatedAt, UpdatedAt = p.UpdatedAt,
    };

    private static Project ToRecord(ProjectRow r) => new()
    {
        Id = r.Id, Name = r.Name, CreatedBy = r.CreatedBy, CreatedAt = r.CreatedAt, UpdatedAt = r.UpdatedAt,
    };

    private static ProjectMemberRow ToRow(ProjectMember m) => new()
    {
        ProjectId = m.ProjectId, UserId = m.UserId, Role = m.Role, CreatedAt = m.CreatedAt,
    };

    private static ProjectMember ToRecord(ProjectMemberRow r) => new()
    {
        ProjectId = r.ProjectId, UserId = r.UserId, Role = r.Role, CreatedAt = r.CreatedAt,
    };

    private static ProjectRole ToRecord(ProjectRoleRow r) => new()
    {
        ProjectId = r.ProjectId,
        Name = r.Name,
        // A permission name this version does not know (written by a newer one) grants nothing here.
        Permissions = [.. r.Permissions.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => Permissions.TryParse(w, out var p) ? p : (Permission?)null)
            .OfType<Permission>()],
        CreatedAt = r.CreatedAt,
    };
}
