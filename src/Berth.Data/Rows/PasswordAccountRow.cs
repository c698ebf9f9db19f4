namespace Berth.Data.Rows;

/// <summary>A user's password hash and lockout state, apart from the user row that every request reads.</summary>
internal sealed class PasswordAccountRow
{
    public Guid UserId { get; set; }
    public string? PasswordHash { get; set; }
    public string? SecurityStamp { get; set; }
    public int AccessFailedCount { get; set; }
    public DateTimeOffset? LockoutEnd { get; set; }
}
