using Berth.Core.Errors;
using Berth.Core.Persistence;
using Berth.Core.Projects;

namespace Berth.Core.Tests.Fakes;

/// <summary>Projects, members and roles in memory, with the store's uniqueness rules.</summary>
internal sealed class InMemoryProjectStore : IProjectStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Project> _projects = [];
    private readonly Dictionary<(Guid, Guid), ProjectMember> _members = [];
    private readonly Dictionary<(Guid, string), ProjectRole> _roles = [];

    public Task AddAsync(Project project, ProjectMember owner, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _projects.Add(project.Id, project);
            _members.Add((owner.ProjectId, owner.UserId), owner);
        }
        return Task.CompletedTask;
    }

    public Task<Project?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_projects.GetValueOrDefault(id));
        }
    }

    public Task<Page<Project>> ListAsync(Guid? memberId, int pageNumber, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var all = _projects.Values
                .Where(p => memberId is null || _members.ContainsKey((p.Id, memberId.Value)))
                .OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id).ToList();
            var items = all.Skip((pageNumber - 1) * limit).Take(limit).ToList();
            return Task.FromResult(new Page<Project>(items, pageNumber, limit, all.Count));
        }
    }

    public Task UpdateAsync(Project project, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _projects[project.Id] = project;
        }
        return Task.CompletedTask;
    }

    public Task DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _projects.Remove(id);
            foreach (var key in _members.Keys.Where(k => k.Item1 == id).ToList())
            {
                _members.Remove(key);
            }
            foreach (var key in _roles.Keys.Where(k => k.Item1 == id).ToList())
            {
                _roles.Remove(key);
            }
        }
        return Task.CompletedTask;
    }

    public Task<ProjectMember?> FindMemberAsync(Guid projectId, Guid userId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_members.GetValueOrDefault((projectId, userId)));
        }
    }

    public Task<IReadOnlyList<ProjectMember>> ListMembersAsync(Guid projectId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<ProjectMember> members = [.. _members.Values.Where(m => m.ProjectId == projectId).OrderBy(m => m.CreatedAt)];
            return Task.FromResult(members);
        }
    }

    public Task<IReadOnlyList<Guid>> ListProjectIdsOfAsync(Guid userId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<Guid> ids = [.. _members.Values.Where(m => m.UserId == userId).Select(m => m.ProjectId)];
            return Task.FromResult(ids);
        }
    }

    public Task AddMemberAsync(ProjectMember member, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_members.TryAdd((member.ProjectId, member.UserId), member))
            {
                throw new BerthException(BerthError.AlreadyExists, "Already a member");
            }
        }
        return Task.CompletedTask;
    }

    public Task UpdateMemberAsync(ProjectMember member, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _members[(member.ProjectId, member.UserId)] = member;
        }
        return Task.CompletedTask;
    }

    public Task<bool> RemoveMemberAsync(Guid projectId, Guid userId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_members.Remove((projectId, userId)));
        }
    }

    public Task<IReadOnlyList<ProjectRole>> ListRolesAsync(Guid projectId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<ProjectRole> roles = [.. _roles.Values.Where(r => r.ProjectId == projectId).OrderBy(r => r.Name, StringComparer.Ordinal)];
            return Task.FromResult(roles);
        }
    }

    public Task<ProjectRole?> FindRoleAsync(Guid projectId, string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_roles.GetValueOrDefault((projectId, name)));
        }
    }

    public Task AddRoleAsync(ProjectRole role, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_roles.TryAdd((role.ProjectId, role.Name), role))
            {
                throw new BerthException(BerthError.AlreadyExists, "Role exists");
            }
        }
        return Task.CompletedTask;
    }

    public Task UpdateRoleAsync(ProjectRole role, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_roles.ContainsKey((role.ProjectId, role.Name)))
            {
                throw BerthException.NotFound("Role");
            }
            _roles[(role.ProjectId, role.Name)] = role;
        }
        return Task.CompletedTask;
    }

    public Task<bool> RemoveRoleAsync(Guid projectId, string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_roles.Remove((projectId, name)));
        }
    }
}
