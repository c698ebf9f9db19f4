namespace Berth.Core.Projects;

/// <summary>A group of containers shared by its members.</summary>
public sealed record Project
{
    public required Guid Id { get; init; }
    public required string Name { get; init; }
    public required Guid CreatedBy { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A user's membership: <see cref="Role"/> names a built-in role or one of the project's custom roles.</summary>
public sealed record ProjectMember
{
    public required Guid ProjectId { get; init; }
    public required Guid UserId { get; init; }
    public required string Role { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A role a project's owners defined, with the permissions it grants.</summary>
public sealed record ProjectRole
{
    public required Guid ProjectId { get; init; }
    public required string Name { get; init; }
    public required IReadOnlyList<Permission> Permissions { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}
