using Berth.Core.Accounts;

namespace Berth.Data.Rows;

internal sealed class UserRow
{
    public Guid Id { get; set; }
    public string Email { get; set; } = "";

    /// <summary>The email folded to lower case; its unique index makes emails unique whatever their case.</summary>
    public string NormalizedEmail { get; set; } = "";

    public string Name { get; set; } = "";
    public UserRole Role { get; set; }
    public bool Banned { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
