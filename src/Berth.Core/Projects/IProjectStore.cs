using Berth.Core.Persistence;

namespace Berth.Core.Projects;

/// <summary>Projects, their members and their custom roles.</summary>
public interface IProjectStore
{
    /// <summary>Adds the project together with its first owner, in one transaction.</summary>
    Task AddAsync(Project project, ProjectMember owner, CancellationToken cancellationToken);

    Task<Project?> FindAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Projects, newest first; only those <paramref name="memberId"/> belongs to when given.</summary>
    Task<Page<Project>> ListAsync(Guid? memberId, int pageNumber, int limit, CancellationToken cancellationToken);

    Task UpdateAsync(Project project, CancellationToken cancellationToken);

    /// <summary>Removes the project with its members and roles.</summary>
    Task DeleteAsync(Guid id, CancellationToken cancellationToken);

    Task<ProjectMember?> FindMemberAsync(Guid projectId, Guid userId, CancellationToken cancellationToken);

    Task<IReadOnlyList<ProjectMember>> ListMembersAsync(Guid projectId, CancellationToken cancellationToken);

    /// <summary>The ids of the projects <paramref name="userId"/> is a member of.</summary>
    Task<IReadOnlyList<Guid>> ListProjectIdsOfAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>Throws ALREADY_EXISTS when the user is already a member.</summary>
    Task AddMemberAsync(ProjectMember member, CancellationToken cancellationToken);

    Task UpdateMemberAsync(ProjectMember member, CancellationToken cancellationToken);

    Task<bool> RemoveMemberAsync(Guid projectId, Guid userId, CancellationToken cancellationToken);

    Task<IReadOnlyList<ProjectRole>> ListRolesAsync(Guid projectId, CancellationToken cancellationToken);

    Task<ProjectRole?> FindRoleAsync(Guid projectId, string name, CancellationToken cancellationToken);

    /// <summary>Throws ALREADY_EXISTS when the project has a role of that name.</summary>
    Task AddRoleAsync(ProjectRole role, CancellationToken cancellationToken);

    /// <summary>Replaces the permissions of an existing custom role.</summary>
    Task UpdateRoleAsync(ProjectRole role, CancellationToken cancellationToken);

    Task<bool> RemoveRoleAsync(Guid projectId, string name, CancellationToken cancellationToken);
}
