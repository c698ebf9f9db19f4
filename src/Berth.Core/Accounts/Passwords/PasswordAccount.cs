namespace Berth.Core.Accounts.Passwords;

/// <summary>
/// A user's password and lockout state, as ASP.NET Core Identity's <c>UserManager</c> reads and
/// changes it (hence mutable). Kept apart from <see cref="User"/> so that the password hash never
/// travels with the user through caches and answers.
/// </summary>
public sealed class PasswordAccount
{
    public required Guid UserId { get; init; }

    /// <summary>The user's email: Identity's user name.</summary>
    public required string Email { get; init; }

    public string? PasswordHash { get; set; }

    /// <summary>Changes whenever the password does, so that whatever was derived from the old one can be told apart.</summary>
    public string? SecurityStamp { get; set; }

    public int AccessFailedCount { get; set; }

    public DateTimeOffset? LockoutEnd { get; set; }
}
