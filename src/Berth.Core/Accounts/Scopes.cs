using Berth.Core.Errors;

namespace Berth.Core.Accounts;

/// <summary>What a personal access token may be used for. A token holds a set of these.</summary>
[Flags]
public enum Scopes
{
    None = 0,

    /// <summary>Read containers, logs, metrics, events, deployments and commands.</summary>
    Read = 1,

    /// <summary>Create, change, delete and start or stop containers.</summary>
    Write = 2,

    /// <summary>Run commands in containers and open terminals.</summary>
    Exec = 4,

    /// <summary>Deploy, roll back and cancel deployments.</summary>
    Deploy = 8,

    /// <summary>Act as an administrator; only effective when the user is one.</summary>
    Admin = 16,

    All = Read | Write | Exec | Deploy | Admin,
}

/// <summary>The rules that tie a token's scopes to its user.</summary>
public static class TokenScopes
{
    /// <summary>The wire names, in the order answers list them.</summary>
    public static readonly IReadOnlyList<(Scopes Scope, string Name)> Names =
    [
        (Scopes.Read, "read"),
        (Scopes.Write, "write"),
        (Scopes.Exec, "exec"),
        (Scopes.Deploy, "deploy"),
        (Scopes.Admin, "admin"),
    ];

    /// <summary>The most a token of this user can hold, and what it gets when none are asked for.</summary>
    public static Scopes AllowedFor(User user) => user.IsAdmin ? Scopes.All : Scopes.All & ~Scopes.Admin;

    /// <summary>
    /// What the token may do right now. A token stored before scopes existed (null) keeps the full
    /// access of its user; a stored <c>admin</c> scope lapses when its user is no longer an admin.
    /// </summary>
    public static Scopes Effective(AccessToken token, User user) => (token.Scopes ?? Scopes.All) & AllowedFor(user);

    public static string Name(Scopes scope) =>
        Names.FirstOrDefault(n => n.Scope == scope).Name ?? throw new ArgumentOutOfRangeException(nameof(scope), scope, "Not a single scope.");

    public static IReadOnlyList<string> ToNames(Scopes scopes) =>
        Names.Where(n => scopes.HasFlag(n.Scope)).Select(n => n.Name).ToList();

    public static bool TryParse(string? name, out Scopes scope)
    {
        scope = Names.FirstOrDefault(n => string.Equals(n.Name, name, StringComparison.Ordinal)).Scope;
        return scope != Scopes.None;
    }

    /// <summary>
    /// The scopes to store for a new token of <paramref name="user"/>: <paramref name="requested"/>,
    /// never more than the user may hold nor than <paramref name="grantable"/> (the scopes of the token
    /// asking, so that a narrow token cannot mint a wider one). When omitted: null, the user's full
    /// access (all five for an admin, all but admin otherwise, following later role changes like a
    /// token from before scopes), or what the asking token holds when that is narrower.
    /// </summary>
    public static Scopes? Resolve(FieldErrors errors, IReadOnlyList<string>? requested, User user, Scopes grantable)
    {
        var allowed = AllowedFor(user);
        if (requested is null)
        {
            return (allowed & grantable) == allowed ? null : allowed & grantable;
        }
        var result = Scopes.None;
        foreach (var name in requested)
        {
            if (!TryParse(name, out var scope))
            {
                errors.Add("scopes", $"'{name}' is not a scope; use {string.Join(", ", Names.Select(n => n.Name))}");
                continue;
            }
            if (!allowed.HasFlag(scope))
            {
                errors.Add("scopes", $"'{name}' is more than the user may do (only admins can hold it)");
                continue;
            }
            if (!grantable.HasFlag(scope))
            {
                errors.Add("scopes", $"'{name}' is more than the requesting token may grant");
                continue;
            }
            result |= scope;
        }
        if (requested.Count == 0)
        {
            errors.Add("scopes", "must name at least one scope");
        }
        return result;
    }
}
