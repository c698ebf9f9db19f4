using Berth.Core.Accounts;
using Berth.Core.Containers;
using Berth.Core.Errors;

namespace Berth.Core.Projects;

/// <summary>
/// Answers what a caller may do to a container: its creator and admins may do everything; a member of
/// the container's project may do what the member's role grants; anyone else cannot see it at all.
/// </summary>
public sealed class ProjectAccess(IProjectStore store)
{
    private static readonly IReadOnlySet<Permission> s_all = new HashSet<Permission>(Permissions.All);
    private static readonly IReadOnlySet<Permission> s_none = new HashSet<Permission>();

    /// <summary>The caller's permissions on the container, or null when the caller may not see it.</summary>
    public async Task<IReadOnlySet<Permission>?> OnContainerAsync(Caller caller, Container container, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(container);
        if (caller.IsAdmin || container.UserId == caller.UserId)
        {
            return s_all;
        }
        return container.ProjectId is { } projectId
            ? await InProjectAsync(caller, projectId, cancellationToken).ConfigureAwait(false)
            : null;
    }

    /// <summary>The caller's permissions in the project, or null when the caller is not a member (admins have all).</summary>
    public async Task<IReadOnlySet<Permission>?> InProjectAsync(Caller caller, Guid projectId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.IsAdmin)
        {
            return s_all;
        }
        var member = await store.FindMemberAsync(projectId, caller.UserId, cancellationToken).ConfigureAwait(false);
        if (member is null)
        {
            return null;
        }
        if (BuiltInRoles.PermissionsOf(member.Role) is { } builtIn)
        {
            return builtIn;
        }
        var custom = await store.FindRoleAsync(projectId, member.Role, cancellationToken).ConfigureAwait(false);
        // A member keeps seeing the project even if the role vanished; it just grants nothing more.
        return custom is null ? s_none : new HashSet<Permission>(custom.Permissions);
    }

    public async Task<bool> ProjectExistsAsync(Guid projectId, CancellationToken cancellationToken) =>
        await store.FindAsync(projectId, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>The projects whose containers the caller sees besides their own; null for admins (every project).</summary>
    public async Task<IReadOnlyList<Guid>?> VisibleProjectsAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.IsAdmin ? null : await store.ListProjectIdsOfAsync(caller.UserId, cancellationToken).ConfigureAwait(false);
    }

    public static BerthException Denied(Permission permission) =>
        new(BerthError.InsufficientPermissions,
            $"Your role in this project does not grant the '{permission.ToWire()}' permission",
            new Dictionary<string, object?> { ["permission"] = permission.ToWire() });
}
