namespace Berth.Data.Rows;

internal sealed class ProjectRow
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public Guid CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class ProjectMemberRow
{
    public Guid ProjectId { get; set; }
    public Guid UserId { get; set; }
    public string Role { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class ProjectRoleRow
{
    public Guid ProjectId { get; set; }
    public string Name { get; set; } = "";

    /// <summary>Wire names, comma separated: a handful of fixed words needs no table of its own.</summary>
    public string Permissions { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}
