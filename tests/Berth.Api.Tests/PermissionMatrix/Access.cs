using Berth.Core.Projects;

namespace Berth.Api.Tests.PermissionMatrix;

/// <summary>
/// Who calls a route in the matrix. The order is the order of the matrix's columns; each route's
/// refusals run before its allowed calls, so that an allowed stop or delete cannot spoil a refusal.
/// </summary>
public enum Persona
{
    NoCredentials,
    ExpiredToken,
    BannedUser,
    LacksScope,
    NonMember,
    Viewer,
    Custom,
    Operator,
    Owner,
    Admin,

    /// <summary>The owner, signed in with a password: a JWT with every scope the owner may hold.</summary>
    OwnerJwt,
}

/// <summary>
/// The project roles of the personas as the documentation lists them, written out here rather than
/// read from the product, so that a change to a built-in role shows up as a changed expectation.
/// </summary>
public static class Roles
{
    /// <summary>The custom role's permissions: a set no built-in role has (restart without stop).</summary>
    public static readonly Permission[] Custom = [Permission.View, Permission.Logs, Permission.Restart];

    private static readonly Permission[] s_viewer = [Permission.View, Permission.Logs];

    private static readonly Permission[] s_operator =
    [
        Permission.View, Permission.Create, Permission.Start, Permission.Stop, Permission.Restart, Permission.Pause,
        Permission.Exec, Permission.Logs, Permission.Deploy, Permission.Update,
    ];

    /// <summary>What the persona's project role grants; null for personas that are not a member by role.</summary>
    public static IReadOnlyCollection<Permission>? Of(Persona persona) => persona switch
    {
        Persona.Viewer => s_viewer,
        Persona.Custom => Custom,
        Persona.Operator => s_operator,
        Persona.Owner => Enum.GetValues<Permission>(),
        _ => null,
    };
}

/// <summary>
/// One cell's expectation: a refusal with its exact status, code and (optionally) one detail, or
/// "allowed": 2xx (101 for a WebSocket), or the documented state error 400 OPERATION_STATE_CONFLICT,
/// which a service only answers after the caller passed every access check.
/// </summary>
public sealed record Outcome(int Status, string? Code, string? DetailKey = null, string? DetailValue = null)
{
    public const string StateConflict = "OPERATION_STATE_CONFLICT";

    public bool Allowed => Status == 0;

    /// <summary>For list routes: whether the answer must contain the fixture (null: not a list).</summary>
    public bool? Listed { get; init; }

    public static Outcome Allow(bool? listed = null) => new(0, null) { Listed = listed };

    public static Outcome Refuse(int status, string code, string? detailKey = null, string? detailValue = null) =>
        new(status, code, detailKey, detailValue);

    public bool Matches(Answer actual, bool webSocket)
    {
        if (Allowed)
        {
            var success = webSocket ? actual.Status == 101 : actual.Status is >= 200 and < 300;
            return (success && (Listed is null || Listed == actual.Listed))
                || (actual.Status == 400 && actual.Code == StateConflict);
        }
        return actual.Status == Status && actual.Code == Code
            && (DetailKey is null || actual.Details.GetValueOrDefault(DetailKey) == DetailValue);
    }

    public override string ToString() => Allowed
        ? "allowed" + Listed switch { true => ", lists it", false => ", does not list it", _ => "" }
        : $"{Status} {Code}" + (DetailKey is null ? "" : $" {DetailKey}={DetailValue}");
}

/// <summary>What a request got back, reduced to what the matrix compares.</summary>
public sealed record Answer(int Status, string? Code, IReadOnlyDictionary<string, string?> Details, bool? Listed)
{
    public override string ToString() =>
        $"{Status}{(Code is null ? "" : " " + Code)}"
        + string.Concat(Details.Select(d => $" {d.Key}={d.Value}"))
        + Listed switch { true => ", lists it", false => ", does not list it", _ => "" };
}

/// <summary>
/// Who may call a route once authenticated and holding its scope; the first checks (no token, expired,
/// banned, missing scope) are the same for every route that is not <see cref="Public"/>.
/// </summary>
public abstract record Access
{
    /// <summary>No credentials needed (health, the OpenAPI document).</summary>
    public static readonly Access Public = new PublicAccess();

    /// <summary>Any authenticated user, on their own things (own tokens, own projects, lists filtered to what they see).</summary>
    public static readonly Access AnyUser = new AnyUserAccess();

    /// <summary>Admins only: everyone else is told the route needs the admin role.</summary>
    public static readonly Access AdminOnly = new AdminOnlyAccess();

    /// <summary>Any member of the fixture project; others are told it does not exist.</summary>
    public static readonly Access ProjectMember = new ProjectAccessRule(OwnersOnly: false);

    /// <summary>The project's owners (and admins); other members are refused, non-members told it does not exist.</summary>
    public static readonly Access ProjectOwner = new ProjectAccessRule(OwnersOnly: true);

    /// <summary>
    /// Members whose role grants <paramref name="permission"/> on the fixture project's container (and
    /// admins); a visible container without it is 403 naming the permission; a non-member gets
    /// <paramref name="notFoundCode"/>, the answer for something that does not exist.
    /// </summary>
    public static Access Container(Permission permission, string notFoundCode = "CONTAINER_NOT_FOUND") =>
        new ContainerAccess(permission, notFoundCode);

    /// <summary>The outcome for a persona that authenticated and holds the route's scope.</summary>
    public abstract Outcome ForUser(Persona persona, bool isList);

    public virtual bool IsPublic => false;

    /// <summary>The project permission a container rule names; null for the other rules.</summary>
    public virtual Permission? ContainerPermission => null;

    /// <summary>
    /// The outcome of <paramref name="persona"/> on a route guarded by <paramref name="requiredScope"/>
    /// (null: no particular scope). The lacking-scope persona is the owner's (for <c>admin</c>, the
    /// admin's) token holding every scope but the route's.
    /// </summary>
    public Outcome Expect(Persona persona, string? requiredScope, bool isList)
    {
        if (IsPublic)
        {
            return Outcome.Allow();
        }
        return persona switch
        {
            Persona.NoCredentials => Outcome.Refuse(401, "MISSING_TOKEN"),
            Persona.ExpiredToken => Outcome.Refuse(401, "TOKEN_EXPIRED"),
            Persona.BannedUser => Outcome.Refuse(403, "ACCOUNT_BANNED"),
            Persona.LacksScope when requiredScope is not null =>
                Outcome.Refuse(403, "INSUFFICIENT_PERMISSIONS", "required_scope", requiredScope),
            Persona.LacksScope or Persona.OwnerJwt => ForUser(Persona.Owner, isList),
            _ => ForUser(persona, isList),
        };
    }

    private protected static Outcome Denied(Permission? permission = null) =>
        permission is { } p
            ? Outcome.Refuse(403, "INSUFFICIENT_PERMISSIONS", "permission", p.ToWire())
            : Outcome.Refuse(403, "INSUFFICIENT_PERMISSIONS");

    private sealed record PublicAccess : Access
    {
        public override bool IsPublic => true;

        public override Outcome ForUser(Persona persona, bool isList) => Outcome.Allow();
    }

    private sealed record AnyUserAccess : Access
    {
        public override Outcome ForUser(Persona persona, bool isList) =>
            Outcome.Allow(isList ? persona != Persona.NonMember : null);
    }

    private sealed record AdminOnlyAccess : Access
    {
        public override Outcome ForUser(Persona persona, bool isList) =>
            persona == Persona.Admin ? Outcome.Allow() : Denied();
    }

    private sealed record ProjectAccessRule(bool OwnersOnly) : Access
    {
        public override Outcome ForUser(Persona persona, bool isList) => persona switch
        {
            Persona.NonMember => Outcome.Refuse(404, "NOT_FOUND"),
            Persona.Admin or Persona.Owner => Outcome.Allow(),
            _ => OwnersOnly ? Denied() : Outcome.Allow(),
        };
    }

    private sealed record ContainerAccess(Permission Permission, string NotFoundCode) : Access
    {
        public override Permission? ContainerPermission => Permission;

        public override Outcome ForUser(Persona persona, bool isList) => persona switch
        {
            Persona.NonMember => Outcome.Refuse(404, NotFoundCode),
            Persona.Admin => Outcome.Allow(),
            _ => Roles.Of(persona)!.Contains(Permission) ? Outcome.Allow() : Denied(Permission),
        };
    }
}
