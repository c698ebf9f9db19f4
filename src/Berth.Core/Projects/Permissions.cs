namespace Berth.Core.Projects;

/// <summary>What a project role may do to the project's containers.</summary>
public enum Permission
{
    View,
    Create,
    Start,
    Stop,
    Restart,
    Pause,
    Exec,
    Logs,
    Deploy,
    Update,
    Remove,
}

public static class Permissions
{
    /// <summary>Every permission, in the order the documentation lists them.</summary>
    public static readonly IReadOnlyList<Permission> All = Enum.GetValues<Permission>();

    public static string ToWire(this Permission permission) => permission.ToString().ToLowerInvariant();

    public static bool TryParse(string? wire, out Permission permission)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ToWire(), wire, StringComparison.Ordinal))
            {
                permission = candidate;
                return true;
            }
        }
        permission = default;
        return false;
    }

    public static string WireList => string.Join(", ", All.Select(p => p.ToWire()));
}

/// <summary>The roles every project has; custom roles cannot take these names.</summary>
public static class BuiltInRoles
{
    public const string Owner = "owner";
    public const string Operator = "operator";
    public const string Viewer = "viewer";

    private static readonly Dictionary<string, IReadOnlySet<Permission>> s_roles = new(StringComparer.Ordinal)
    {
        [Owner] = new HashSet<Permission>(Permissions.All),
        [Operator] = new HashSet<Permission>
        {
            Permission.View, Permission.Create, Permission.Start, Permission.Stop, Permission.Restart, Permission.Pause,
            Permission.Exec, Permission.Logs, Permission.Deploy, Permission.Update,
        },
        [Viewer] = new HashSet<Permission> { Permission.View, Permission.Logs },
    };

    public static IReadOnlyCollection<string> Names => s_roles.Keys;

    /// <summary>The permissions of a built-in role, or null when <paramref name="role"/> is not one.</summary>
    public static IReadOnlySet<Permission>? PermissionsOf(string role) => s_roles.GetValueOrDefault(role);
}
