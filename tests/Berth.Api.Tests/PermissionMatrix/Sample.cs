namespace Berth.Api.Tests.PermissionMatrix;

/// <summary>Which container <c>{target}</c> names in a sample whose allowed calls change it.</summary>
public enum Target
{
    /// <summary>One fresh container per sample: its refusals and allowed calls share it (later allowed calls may meet a state conflict).</summary>
    PerRoute,

    /// <summary>Refusals share one fresh container; every allowed call gets its own (a delete cannot be repeated).</summary>
    PerRequest,
}

/// <summary>
/// One concrete request for a route of the API and the rule that says who may make it.
/// <para><see cref="Route"/> is <c>"METHOD pattern"</c> exactly as the route table has it. <see cref="Path"/>
/// and <see cref="Body"/> may hold placeholders that <see cref="MatrixWorld"/> fills in per request:
/// <c>{container}</c> (a running container of the project), <c>{target}</c> (a fresh running one, see
/// <see cref="Target"/>), <c>{deploy-target}</c>, <c>{project}</c>, <c>{command}</c> (a finished command),
/// <c>{deployment}</c> (a finished deployment), <c>{member}</c> (a viewer of the project), <c>{user}</c>
/// (a user outside it), <c>{new-user}</c>, <c>{new-member}</c> (made for this request), <c>{own-token}</c>
/// (a token the caller just minted for itself), <c>{refresh-token}</c> (one no request has spent),
/// <c>{current-password}</c> (the caller's password, if it has one) and <c>{unique}</c> (a fresh lowercase name).</para>
/// </summary>
public sealed record Sample(string Route, Access Access, string Path, string? Body = null)
{
    public Target Target { get; init; } = Target.PerRoute;

    /// <summary>A list route: the placeholder of the fixture whose id members see in the list and non-members do not.</summary>
    public string? Lists { get; init; }

    /// <summary>A WebSocket route: allowed means a completed upgrade (101).</summary>
    public bool WebSocket { get; init; }

    /// <summary>An endless stream (Server-Sent Events): only the status and headers are read.</summary>
    public bool Stream { get; init; }

    public string Method => Route[..Route.IndexOf(' ', StringComparison.Ordinal)];

    public string Pattern => Route[(Route.IndexOf(' ', StringComparison.Ordinal) + 1)..];

    public override string ToString() => $"{Method} {Path}";
}
