using System.Text.RegularExpressions;
using Berth.Core.Accounts;
using Berth.Core.Errors;
using Berth.Core.Persistence;

namespace Berth.Core.Projects;

/// <summary>
/// Projects, their members and custom roles. Any user may create a project and becomes its owner; a
/// project the caller is not a member of does not exist for them (404), except for admins. Only owners
/// (and admins) change the project, its members and its roles, and a project always keeps an owner.
/// </summary>
public sealed partial class ProjectService(
    IProjectStore store, IContainerStore containers, IAccountStore accounts, TimeProvider time)
{
    public const int MaxNameLength = 100;
    public const int MaxListLimit = 100;

    // Member changes are serialized, so that two demotions cannot both pass the "another owner is left" check.
    private readonly SemaphoreSlim _members = new(1, 1);

    public async Task<Project> CreateAsync(Caller caller, string? name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var valid = ValidateName(name);
        var now = time.GetUtcNow();
        var project = new Project { Id = Guid.CreateVersion7(now), Name = valid, CreatedBy = caller.UserId, CreatedAt = now, UpdatedAt = now };
        var owner = new ProjectMember { ProjectId = project.Id, UserId = caller.UserId, Role = BuiltInRoles.Owner, CreatedAt = now };
        await store.AddAsync(project, owner, cancellationToken).ConfigureAwait(false);
        return project;
    }

    /// <summary>The projects the caller is a member of; every project for admins.</summary>
    public Task<Page<Project>> ListAsync(Caller caller, int pageNumber, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var errors = new FieldErrors();
        if (pageNumber < 1)
        {
            errors.Add("page", "must be 1 or more");
        }
        if (limit is < 1 or > MaxListLimit)
        {
            errors.Add("limit", $"must be from 1 to {MaxListLimit}");
        }
        errors.ThrowIfAny();
        return store.ListAsync(caller.IsAdmin ? null : caller.UserId, pageNumber, limit, cancellationToken);
    }

    public async Task<Project> GetAsync(Caller caller, Guid projectId, CancellationToken cancellationToken) =>
        (await ResolveAsync(caller, projectId, cancellationToken).ConfigureAwait(false)).Project;

    public async Task<Project> UpdateAsync(Caller caller, Guid projectId, string? name, CancellationToken cancellationToken)
    {
        var valid = ValidateName(name);
        var project = await RequireOwnerAsync(caller, projectId, cancellationToken).ConfigureAwait(false);
        if (project.Name == valid)
        {
            return project;
        }
        var updated = project with { Name = valid, UpdatedAt = time.GetUtcNow() };
        await store.UpdateAsync(updated, cancellationToken).ConfigureAwait(false);
        return updated;
    }

    /// <summary>Deletes an empty project; one that still has live containers is 400 OPERATION_STATE_CONFLICT.</summary>
    public async Task DeleteAsync(Caller caller, Guid projectId, CancellationToken cancellationToken)
    {
        await RequireOwnerAsync(caller, projectId, cancellationToken).ConfigureAwait(false);
        var live = await containers.ListAsync(new ContainerQuery(null, projectId, null, null, 1, 1), cancellationToken).ConfigureAwait(false);
        if (live.Total > 0)
        {
            throw new BerthException(BerthError.OperationStateConflict,
                $"Project still has {live.Total} container(s); delete them first",
                new Dictionary<string, object?> { ["containers"] = live.Total });
        }
        await store.DeleteAsync(projectId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ProjectMember>> ListMembersAsync(Caller caller, Guid projectId, CancellationToken cancellationToken)
    {
        await ResolveAsync(caller, projectId, cancellationToken).ConfigureAwait(false);
        return await store.ListMembersAsync(projectId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ProjectMember> AddMemberAsync(Caller caller, Guid projectId, Guid? userId, string? role, CancellationToken cancellationToken)
    {
        await RequireOwnerAsync(caller, projectId, cancellationToken).ConfigureAwait(false);
        var errors = new FieldErrors();
        if (userId is null)
        {
            errors.Add("user_id", "is required");
        }
        else if (await accounts.FindUserAsync(userId.Value, cancellationToken).ConfigureAwait(false) is null)
        {
            errors.Add("user_id", "must be the id of an existing user");
        }
        await ValidateRoleAsync(errors, projectId, role, cancellationToken).ConfigureAwait(false);
        errors.ThrowIfAny();

        var member = new ProjectMember { ProjectId = projectId, UserId = userId!.Value, Role = role!, CreatedAt = time.GetUtcNow() };
        await _members.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await store.AddMemberAsync(member, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _members.Release();
        }
        return member;
    }

    public async Task<ProjectMember> UpdateMemberAsync(Caller caller, Guid projectId, Guid userId, string? role, CancellationToken cancellationToken)
    {
        await RequireOwnerAsync(caller, projectId, cancellationToken).ConfigureAwait(false);
        var errors = new FieldErrors();
        await ValidateRoleAsync(errors, projectId, role, cancellationToken).ConfigureAwait(false);
        errors.ThrowIfAny();

        await _members.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var member = await store.FindMemberAsync(projectId, userId, cancellationToken).ConfigureAwait(false)
                ?? throw BerthException.NotFound("Member");
            if (member.Role == role)
            {
                return member;
            }
            if (member.Role == BuiltInRoles.Owner)
            {
                await EnsureAnotherOwnerAsync(projectId, userId, cancellationToken).ConfigureAwait(false);
            }
            var updated = member with { Role = role! };
            await store.UpdateMemberAsync(updated, cancellationToken).ConfigureAwait(false);
            return updated;
        }
        finally
        {
            _members.Release();
        }
    }

    /// <summary>Owners remove anyone; any member may remove themselves (leave). The last owner stays.</summary>
    public async Task RemoveMemberAsync(Caller caller, Guid projectId, Guid userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (userId == caller.UserId)
        {
            await ResolveAsync(caller, projectId, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await RequireOwnerAsync(caller, projectId, cancellationToken).ConfigureAwait(false);
        }
        await _members.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var member = await store.FindMemberAsync(projectId, userId, cancellationToken).ConfigureAwait(false)
                ?? throw BerthException.NotFound("Member");
            if (member.Role == BuiltInRoles.Owner)
            {
                await EnsureAnotherOwnerAsync(projectId, userId, cancellationToken).ConfigureAwait(false);
            }
            await store.RemoveMemberAsync(projectId, userId, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _members.Release();
        }
    }

    /// <summary>The built-in roles followed by the project's custom roles.</summary>
    public async Task<IReadOnlyList<ProjectRole>> ListRolesAsync(Caller caller, Guid projectId, CancellationToken cancellationToken)
    {
        var project = await GetAsync(caller, projectId, cancellationToken).ConfigureAwait(false);
        var builtIn = BuiltInRoles.Names.Select(name => new ProjectRole
        {
            ProjectId = projectId,
            Name = name,
            Permissions = [.. Permissions.All.Where(BuiltInRoles.PermissionsOf(name)!.Contains)],
            CreatedAt = project.CreatedAt,
        });
        return [.. builtIn, .. await store.ListRolesAsync(projectId, cancellationToken).ConfigureAwait(false)];
    }

    public async Task<ProjectRole> CreateRoleAsync(
        Caller caller, Guid projectId, string? name, IReadOnlyList<string>? permissions, CancellationToken cancellationToken)
    {
        await RequireOwnerAsync(caller, projectId, cancellationToken).ConfigureAwait(false);
        var errors = new FieldErrors();
        if (string.IsNullOrEmpty(name))
        {
            errors.Add("name", "is required");
        }
        else if (!RoleName().IsMatch(name))
        {
            errors.Add("name", "must be 1 to 40 lowercase letters, digits, '-' or '_', starting with a letter");
        }
        else if (BuiltInRoles.PermissionsOf(name) is not null)
        {
            errors.Add("name", $"'{name}' is a built-in role");
        }
        var parsed = ParsePermissions(errors, permissions);
        errors.ThrowIfAny();

        var role = new ProjectRole
        {
            ProjectId = projectId,
            Name = name!,
            Permissions = parsed,
            CreatedAt = time.GetUtcNow(),
        };
        await store.AddRoleAsync(role, cancellationToken).ConfigureAwait(false);
        return role;
    }

    /// <summary>Replaces a custom role's permissions; its members have the new ones from their next request.</summary>
    public async Task<ProjectRole> UpdateRoleAsync(
        Caller caller, Guid projectId, string name, IReadOnlyList<string>? permissions, CancellationToken cancellationToken)
    {
        await RequireOwnerAsync(caller, projectId, cancellationToken).ConfigureAwait(false);
        var role = await FindCustomRoleAsync(projectId, name, cancellationToken).ConfigureAwait(false);
        var errors = new FieldErrors();
        var parsed = ParsePermissions(errors, permissions);
        errors.ThrowIfAny();

        var updated = role with { Permissions = parsed };
        await store.UpdateRoleAsync(updated, cancellationToken).ConfigureAwait(false);
        return updated;
    }

    /// <summary>Deletes a custom role that no member holds, so that nobody is left with a role that means nothing.</summary>
    public async Task DeleteRoleAsync(Caller caller, Guid projectId, string name, CancellationToken cancellationToken)
    {
        await RequireOwnerAsync(caller, projectId, cancellationToken).ConfigureAwait(false);
        await FindCustomRoleAsync(projectId, name, cancellationToken).ConfigureAwait(false);
        var holders = (await store.ListMembersAsync(projectId, cancellationToken).ConfigureAwait(false)).Count(m => m.Role == name);
        if (holders > 0)
        {
            throw new BerthException(BerthError.OperationStateConflict,
                $"{holders} member(s) hold the role '{name}': give them another role first");
        }
        await store.RemoveRoleAsync(projectId, name, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ProjectRole> FindCustomRoleAsync(Guid projectId, string name, CancellationToken cancellationToken)
    {
        if (BuiltInRoles.PermissionsOf(name) is not null)
        {
            throw new BerthException(BerthError.OperationStateConflict, $"'{name}' is a built-in role; it cannot be changed or deleted");
        }
        return await store.FindRoleAsync(projectId, name, cancellationToken).ConfigureAwait(false)
            ?? throw BerthException.NotFound("Role");
    }

    private static IReadOnlyList<Permission> ParsePermissions(FieldErrors errors, IReadOnlyList<string>? permissions)
    {
        var parsed = new List<Permission>();
        if (permissions is null || permissions.Count == 0)
        {
            errors.Add("permissions", "must list at least one permission");
            return parsed;
        }
        for (var i = 0; i < permissions.Count; i++)
        {
            if (!Permissions.TryParse(permissions[i], out var permission))
            {
                errors.Add($"permissions[{i}]", $"must be one of {Permissions.WireList}");
            }
            else if (!parsed.Contains(permission))
            {
                parsed.Add(permission);
            }
        }
        return [.. parsed.Order()];
    }

    private async Task<(Project Project, ProjectMember? Member)> ResolveAsync(Caller caller, Guid projectId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var project = await store.FindAsync(projectId, cancellationToken).ConfigureAwait(false)
            ?? throw BerthException.NotFound("Project");
        var member = await store.FindMemberAsync(projectId, caller.UserId, cancellationToken).ConfigureAwait(false);
        return member is null && !caller.IsAdmin ? throw BerthException.NotFound("Project") : (project, member);
    }

    private async Task<Project> RequireOwnerAsync(Caller caller, Guid projectId, CancellationToken cancellationToken)
    {
        var (project, member) = await ResolveAsync(caller, projectId, cancellationToken).ConfigureAwait(false);
        if (!caller.IsAdmin && member?.Role != BuiltInRoles.Owner)
        {
            throw new BerthException(BerthError.InsufficientPermissions, "Only the project's owners may manage the project, its members and its roles");
        }
        return project;
    }

    private async Task EnsureAnotherOwnerAsync(Guid projectId, Guid userId, CancellationToken cancellationToken)
    {
        var members = await store.ListMembersAsync(projectId, cancellationToken).ConfigureAwait(false);
        if (!members.Any(m => m.UserId != userId && m.Role == BuiltInRoles.Owner))
        {
            throw new BerthException(BerthError.OperationStateConflict,
                "A project needs an owner: make another member owner first");
        }
    }

    private async Task ValidateRoleAsync(FieldErrors errors, Guid projectId, string? role, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(role))
        {
            errors.Add("role", "is required");
        }
        else if (BuiltInRoles.PermissionsOf(role) is null
            && await store.FindRoleAsync(projectId, role, cancellationToken).ConfigureAwait(false) is null)
        {
            errors.Add("role", $"must be {string.Join(", ", BuiltInRoles.Names)} or a custom role of the project");
        }
    }

    private static string ValidateName(string? name)
    {
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            throw BerthException.Validation("name", "is required");
        }
        if (trimmed.Length > MaxNameLength)
        {
            throw BerthException.Validation("name", $"must be at most {MaxNameLength} characters");
        }
        return trimmed;
    }

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,39}$")]
    private static partial Regex RoleName();
}
