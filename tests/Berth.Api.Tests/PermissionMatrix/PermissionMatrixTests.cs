using System.Diagnostics;
using System.Text;
using Berth.Api.Tests.Infrastructure;
using Berth.Core.Accounts;
using Berth.Server.Accounts;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Berth.Api.Tests.PermissionMatrix.Access;
using static Berth.Core.Projects.Permission;
using static Berth.Core.Projects.Permissions;

namespace Berth.Api.Tests.PermissionMatrix;

/// <summary>
/// The permission matrix: every route of the route table (REST and WebSocket), called by each persona
/// (admin, owner, operator, viewer, custom role, non-member, banned user, expired token, a token lacking
/// the route's scope, no credentials, an owner's JWT), must answer exactly the documented status and error code.
/// <para><b>Adding a route.</b> A route without a line in <see cref="Rules"/> fails
/// <see cref="EveryRoute_HasAnAccessRule"/> with its name. Add one line: the route as
/// <c>"METHOD pattern"</c> (as the failure prints it), who may call it (<see cref="Access.Public"/>,
/// <see cref="Access.AnyUser"/>, <see cref="Access.AdminOnly"/>, <see cref="Access.ProjectMember"/>,
/// <see cref="Access.ProjectOwner"/> or <see cref="Access.Container"/> with the project permission),
/// and a concrete path (and JSON body) using the placeholders of <see cref="Sample"/>. The scope comes
/// from the route's own <c>RequireScope</c>; a container route also states its permission on the endpoint
/// (<c>.NeedsPermission(Permission.X)</c>), which must agree with its line here. A route whose permission depends on a route value gets one
/// line per value. A route whose allowed call changes its container uses <c>{target}</c>, a fresh one.
/// A new kind of caller (a session, a JWT, an OAuth client) is a new <see cref="Persona"/>, its token in
/// <see cref="MatrixWorld"/> and its expected answers in <see cref="Access.Expect"/>.</para>
/// </summary>
public sealed class PermissionMatrixTests(BerthServer server, ITestOutputHelper output) : IClassFixture<BerthServer>
{
    private const string Containers = "/api/v1/containers";
    private const string Projects = "/api/v1/projects/{project}";

    /// <summary>One line per route (or per route value); see the class comment.</summary>
    public static readonly Sample[] Rules =
    [
        new("GET /healthz", Public, "/healthz"),
        new("GET /readyz", Public, "/readyz"),
        new("GET /openapi/{documentName}.json", Public, "/openapi/v1.json"),
        // Whoever holds a refresh token may exchange it, whatever Authorization header comes along.
        new("POST /api/v1/auth/token", Public, "/api/v1/auth/token", """{"refresh_token":"{refresh-token}"}"""),
        new("GET /.well-known/jwks.json", Public, "/.well-known/jwks.json"),

        new("POST /api/v1/users", AdminOnly, "/api/v1/users", """{"email":"{unique}@example.com","name":"Matrix","role":"user"}"""),
        new("GET /api/v1/users", AdminOnly, "/api/v1/users"),
        new("GET /api/v1/users/{id}", AdminOnly, "/api/v1/users/{user}"),
        new("PATCH /api/v1/users/{id}", AdminOnly, "/api/v1/users/{user}", """{"banned":false}"""),
        new("POST /api/v1/users/{id}/tokens", AdminOnly, "/api/v1/users/{user}/tokens", """{"name":"matrix"}"""),
        new("GET /api/v1/audit", AdminOnly, "/api/v1/audit"),
        new("GET /metrics", AdminOnly, "/metrics"),

        new("POST /api/v1/tokens", AnyUser, "/api/v1/tokens", """{"name":"matrix"}"""),
        new("GET /api/v1/tokens", AnyUser, "/api/v1/tokens"),
        new("DELETE /api/v1/tokens/{id}", AnyUser, "/api/v1/tokens/{own-token}"),
        // Only the JWT's user has a password (an allowed change is 204); for the others it is 400 OPERATION_STATE_CONFLICT.
        new("POST /api/v1/auth/password", AnyUser, "/api/v1/auth/password",
            """{"current_password":"{current-password}","new_password":"long enough to pass"}"""),

        new("POST /api/v1/oauth/applications", AdminOnly, "/api/v1/oauth/applications",
            """{"name":"matrix","type":"confidential","grant_types":["client_credentials"],"scopes":["read"]}"""),
        new("GET /api/v1/oauth/applications", AdminOnly, "/api/v1/oauth/applications"),
        new("GET /api/v1/oauth/applications/{clientId}", AdminOnly, "/api/v1/oauth/applications/{new-oauth-client}"),
        new("DELETE /api/v1/oauth/applications/{clientId}", AdminOnly, "/api/v1/oauth/applications/{new-oauth-client}"),
        new("GET /api/v1/oauth/authorizations", AnyUser, "/api/v1/oauth/authorizations"),
        new("DELETE /api/v1/oauth/authorizations/{id}", AnyUser, "/api/v1/oauth/authorizations/{own-authorization}"),

        new("POST /api/v1/projects", AnyUser, "/api/v1/projects", """{"name":"another"}"""),
        new("GET /api/v1/projects", AnyUser, "/api/v1/projects?limit=100") { Lists = "project" },
        new("GET /api/v1/projects/{id}", ProjectMember, Projects),
        new("PATCH /api/v1/projects/{id}", ProjectOwner, Projects, """{"name":"matrix"}"""),
        // The project has containers: an allowed delete is 400 OPERATION_STATE_CONFLICT, and the fixture stays.
        new("DELETE /api/v1/projects/{id}", ProjectOwner, Projects),
        new("GET /api/v1/projects/{id}/members", ProjectMember, $"{Projects}/members"),
        new("POST /api/v1/projects/{id}/members", ProjectOwner, $"{Projects}/members", """{"user_id":"{new-user}","role":"viewer"}"""),
        new("PATCH /api/v1/projects/{id}/members/{userId}", ProjectOwner, $"{Projects}/members/{{member}}", """{"role":"viewer"}"""),
        new("DELETE /api/v1/projects/{id}/members/{userId}", ProjectOwner, $"{Projects}/members/{{new-member}}"),
        new("GET /api/v1/projects/{id}/roles", ProjectMember, $"{Projects}/roles"),
        new("POST /api/v1/projects/{id}/roles", ProjectOwner, $"{Projects}/roles", """{"name":"{unique}","permissions":["view"]}"""),
        // The custom persona's role, given the permissions it already has, so the matrix's expectations hold.
        new("PATCH /api/v1/projects/{id}/roles/{name}", ProjectOwner, $"{Projects}/roles/{MatrixWorld.CustomRole}",
            """{"permissions":["view","logs","restart"]}"""),
        // A member holds the role: an allowed delete is 400 OPERATION_STATE_CONFLICT, and the role stays.
        new("DELETE /api/v1/projects/{id}/roles/{name}", ProjectOwner, $"{Projects}/roles/{MatrixWorld.CustomRole}"),

        new("GET /api/v1/containers", AnyUser, $"{Containers}?limit=100") { Lists = "container" },
        new("POST /api/v1/containers", Container(Create, "NOT_FOUND"), Containers,
            """{"hostname":"{unique}","project_id":"{project}","command":"sleep 600","memory_mb":16,"cpu_cores":0.1}"""),
        new("GET /api/v1/containers/{id}", Container(View), $"{Containers}/{{container}}"),
        // The same memory as the container has: allowed, and nothing to deploy afterwards.
        new("PATCH /api/v1/containers/{id}", Container(Update), $"{Containers}/{{container}}", """{"memory_mb":32}"""),
        new("DELETE /api/v1/containers/{id}", Container(Remove), $"{Containers}/{{target}}") { Target = Target.PerRequest },
        new("POST /api/v1/containers/{id}/{operation}", Container(Start), $"{Containers}/{{container}}/start"),
        new("POST /api/v1/containers/{id}/{operation}", Container(Stop), $"{Containers}/{{target}}/stop?grace=0"),
        new("POST /api/v1/containers/{id}/{operation}", Container(Stop), $"{Containers}/{{target}}/force-stop"),
        new("POST /api/v1/containers/{id}/{operation}", Container(Restart), $"{Containers}/{{container}}/restart?grace=0"),
        new("POST /api/v1/containers/{id}/{operation}", Container(Pause), $"{Containers}/{{target}}/pause"),
        new("POST /api/v1/containers/{id}/{operation}", Container(Pause), $"{Containers}/{{container}}/resume"),
        new("POST /api/v1/containers/{id}/{operation}", Container(Pause), $"{Containers}/{{container}}/unpause"),
        new("GET /api/v1/containers/{id}/status-logs", Container(View), $"{Containers}/{{container}}/status-logs"),
        new("GET /api/v1/containers/{id}/wait", Container(View), $"{Containers}/{{container}}/wait?state=running&timeout=30"),
        new("GET /api/v1/containers/{id}/metrics", Container(View), $"{Containers}/{{container}}/metrics"),
        new("GET /api/v1/containers/{id}/logs", Container(Logs), $"{Containers}/{{container}}/logs?tail=10"),
        new("GET /api/v1/events", AnyUser, "/api/v1/events") { Stream = true },

        new("POST /api/v1/containers/{id}/commands", Container(Exec), $"{Containers}/{{container}}/commands", """{"command":"true"}"""),
        new("GET /api/v1/containers/{id}/commands", Container(View), $"{Containers}/{{container}}/commands"),
        new("GET /api/v1/commands/{id}", Container(View, "NOT_FOUND"), "/api/v1/commands/{command}"),
        // The command has finished: an allowed cancel is 400 OPERATION_STATE_CONFLICT.
        new("POST /api/v1/commands/{id}/cancel", Container(Exec, "NOT_FOUND"), "/api/v1/commands/{command}/cancel"),
        new("GET /api/v1/commands/{id}/stream", Container(View, "NOT_FOUND"), "/api/v1/commands/{command}/stream") { WebSocket = true },
        new("GET /api/v1/containers/{id}/terminal", Container(Exec), $"{Containers}/{{container}}/terminal") { WebSocket = true },

        // A fresh container: the fixture deployment's container stays free for the rollback below.
        new("POST /api/v1/containers/{id}/deploy", Container(Deploy), $"{Containers}/{{target}}/deploy"),
        new("GET /api/v1/containers/{id}/deployments", Container(View), $"{Containers}/{{deploy-target}}/deployments"),
        new("GET /api/v1/deployments/{deploymentId}", Container(View, "NOT_FOUND"), "/api/v1/deployments/{deployment}"),
        // The deployment has finished: an allowed cancel is 400 OPERATION_STATE_CONFLICT.
        new("POST /api/v1/deployments/{deploymentId}/cancel", Container(Deploy, "NOT_FOUND"), "/api/v1/deployments/{deployment}/cancel"),
        new("POST /api/v1/deployments/{deploymentId}/rollback", Container(Deploy, "NOT_FOUND"), "/api/v1/deployments/{deployment}/rollback"),

        // Last: {own-session} gives the caller's user a password, which the password rule above expects unset.
        // Signing in and out needs no credential: whatever token a persona sends, the login succeeds.
        new("POST /api/v1/auth/login", Public, "/api/v1/auth/login", """{"email":"{signin-email}","password":"{signin-password}"}"""),
        new("POST /api/v1/auth/logout", Public, "/api/v1/auth/logout"),
        new("GET /api/v1/auth/session", AnyUser, "/api/v1/auth/session"),
        new("GET /api/v1/auth/sessions", AnyUser, "/api/v1/auth/sessions"),
        new("DELETE /api/v1/auth/sessions/{id}", AnyUser, "/api/v1/auth/sessions/{own-session}"),
    ];

    [Fact]
    public void EveryRoute_HasAnAccessRule()
    {
        var routes = RouteTable();
        var ruled = Rules.Select(r => r.Route).ToHashSet(StringComparer.Ordinal);

        var missing = routes.Keys.Where(r => !ruled.Contains(r)).Order(StringComparer.Ordinal).ToList();
        var stale = ruled.Where(r => !routes.ContainsKey(r)).Order(StringComparer.Ordinal).ToList();

        Assert.True(missing.Count == 0,
            "No access rule for these routes; add a line for each to PermissionMatrixTests.Rules:\n  " + string.Join("\n  ", missing));
        Assert.True(stale.Count == 0, "These rules name no route of the route table:\n  " + string.Join("\n  ", stale));
        Assert.True(routes.Count > 40, $"only {routes.Count} routes found");
    }

    [Fact]
    public void ContainerRoutes_DeclareThePermissionTheirRuleExpects()
    {
        var routes = RouteTable();
        var wrong = new List<string>();
        foreach (var rule in Rules.Where(r => routes.ContainsKey(r.Route)))
        {
            var declared = routes[rule.Route].Metadata.GetMetadata<RequiredPermission>()?.For(RouteValues(rule));
            if (declared != rule.Access.ContainerPermission)
            {
                wrong.Add($"{rule}: the route declares {declared?.ToWire() ?? "no permission"}, "
                    + $"its rule expects {rule.Access.ContainerPermission?.ToWire() ?? "none"}");
            }
        }

        Assert.True(wrong.Count == 0, "Route metadata (NeedsPermission) and the matrix's rules disagree:\n  " + string.Join("\n  ", wrong));
    }

    [Fact]
    public async Task EveryRoute_AnswersEachPersonaAsDocumented()
    {
        var clock = Stopwatch.StartNew();
        var routes = RouteTable();
        var plan = Rules
            .Where(r => routes.ContainsKey(r.Route))
            .Select(rule =>
            {
                var scope = ScopeOf(routes[rule.Route]);
                var cells = Enum.GetValues<Persona>()
                    .Select(p => (Persona: p, Expected: rule.Access.Expect(p, scope, rule.Lists is not null)))
                    // Refusals first: an allowed stop or delete must not change what a refusal is tried on.
                    .OrderBy(c => c.Expected.Allowed)
                    .ToList();
                return (Rule: rule, Scope: scope, Cells: cells);
            })
            .ToList();
        var fresh = plan.Where(p => p.Rule.Path.Contains("{target}", StringComparison.Ordinal))
            .Sum(p => 1 + (p.Rule.Target == Target.PerRequest ? p.Cells.Count(c => c.Expected.Allowed) : 0));
        var world = await MatrixWorld.CreateAsync(server, fresh);
        var setUp = clock.Elapsed;

        var wrong = new List<(string Route, Persona Persona, Outcome Expected, Answer Actual)>();
        var grid = new StringBuilder();
        foreach (var (rule, scope, cells) in plan)
        {
            var started = clock.Elapsed;
            var statuses = new Dictionary<Persona, int>();
            foreach (var (persona, expected) in cells)
            {
                var actual = await world.SendAsync(rule, persona, scope, expected.Allowed);
                statuses[persona] = actual.Status;
                if (!expected.Matches(actual, rule.WebSocket))
                {
                    wrong.Add((rule.ToString(), persona, expected, actual));
                }
            }
            grid.AppendLine(string.Join(" ", Enum.GetValues<Persona>().Select(p => $"{statuses[p],3}"))
                + $" {(clock.Elapsed - started).TotalSeconds,5:0.0} s  {rule}");
        }

        var count = plan.Sum(p => p.Cells.Count);
        output.WriteLine($"{routes.Count} routes, {plan.Count} samples, {count} cells: set-up {setUp.TotalSeconds:0.0} s, "
            + $"matrix {(clock.Elapsed - setUp).TotalSeconds:0.0} s. Status per persona ({string.Join(", ", Enum.GetValues<Persona>())}):");
        output.WriteLine(grid.ToString());
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {count} cells answered otherwise than documented:\n" + Table(wrong));
    }

    /// <summary>Every route of the route table, keyed <c>"METHOD pattern"</c>.</summary>
    private Dictionary<string, RouteEndpoint> RouteTable()
    {
        var table = new Dictionary<string, RouteEndpoint>(StringComparer.Ordinal);
        foreach (var endpoint in server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern.RawText ?? "";
            pattern = pattern.Length > 1 ? pattern.TrimEnd('/') : pattern;
            // The OAuth protocol endpoints answer clients in the protocol's own form (redirects, RFC 6749
            // errors), not the envelope; OauthApiTests covers them, the refusals of /connect/authorize included.
            if (pattern.StartsWith("/connect/", StringComparison.Ordinal))
            {
                continue;
            }
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"])
            {
                table[$"{method} {pattern}"] = endpoint;
            }
        }
        return table;
    }

    /// <summary>The scope the route's metadata names; null for routes that need none.</summary>
    private static string? ScopeOf(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<RequiredScope>() is { } required ? TokenScopes.Name(required.Scope) : null;

    /// <summary>The route values of a sample's concrete path (its placeholders unresolved), by the route's pattern.</summary>
    private static Dictionary<string, string> RouteValues(Sample sample)
    {
        var path = sample.Path.Split('?')[0].Split('/');
        var pattern = sample.Pattern.Split('/');
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < Math.Min(path.Length, pattern.Length); i++)
        {
            if (pattern[i].StartsWith('{') && pattern[i].EndsWith('}'))
            {
                values[pattern[i][1..^1]] = path[i];
            }
        }
        return values;
    }

    private static string Table(List<(string Route, Persona Persona, Outcome Expected, Answer Actual)> rows)
    {
        var header = ("request", "persona", "expected", "actual");
        var all = rows.Select(r => (r.Route, r.Persona.ToString(), r.Expected.ToString(), r.Actual.ToString())).Prepend(header).ToList();
        int Width(Func<(string, string, string, string), string> column) => all.Max(r => column(r).Length);
        var widths = (Width(r => r.Item1), Width(r => r.Item2), Width(r => r.Item3));
        var text = new StringBuilder();
        foreach (var (route, persona, expected, actual) in all)
        {
            text.Append("| ").Append(route.PadRight(widths.Item1)).Append(" | ").Append(persona.PadRight(widths.Item2))
                .Append(" | ").Append(expected.PadRight(widths.Item3)).Append(" | ").Append(actual).Append('\n');
        }
        return text.ToString();
    }
}
