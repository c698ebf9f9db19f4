using Berth.Core.Accounts;
using Berth.Core.Errors;
using Berth.Core.Projects;
using Berth.Server.Accounts;
using Berth.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Berth.Server.Api;

internal sealed record ProjectResponse(Guid Id, string Name, Guid CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ProjectResponse From(Project p) => new(p.Id, p.Name, p.CreatedBy, p.CreatedAt, p.UpdatedAt);
}

internal sealed record ProjectMemberResponse(Guid ProjectId, Guid UserId, string Role, DateTimeOffset CreatedAt)
{
    public static ProjectMemberResponse From(ProjectMember m) => new(m.ProjectId, m.UserId, m.Role, m.CreatedAt);
}

internal sealed record ProjectRoleResponse(string Name, IReadOnlyList<string> Permissions, bool BuiltIn)
{
    public static ProjectRoleResponse From(ProjectRole r) =>
        new(r.Name, [.. r.Permissions.Select(p => p.ToWire())], BuiltInRoles.PermissionsOf(r.Name) is not null);
}

internal sealed record ProjectBody(string? Name);

internal sealed record MemberBody(Guid? UserId, string? Role);

internal sealed record RoleBody(string? Name, IReadOnlyList<string>? Permissions);

/// <summary>Projects, their members and roles: thin handlers over <see cref="ProjectService"/>.</summary>
internal static class ProjectsApi
{
    public static IEndpointRouteBuilder MapProjectsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/projects").WithTags("Projects");
        api.MapPost("/", CreateAsync).WithIdempotency().WithSummary("Create a project; you become its owner").RequireScope(Scopes.Write);
        api.MapGet("/", ListAsync).WithSummary("List the projects you are a member of (admins: all)").RequireScope(Scopes.Read);
        api.MapGet("/{id}", GetAsync).RequireScope(Scopes.Read);
        api.MapPatch("/{id}", UpdateAsync).WithSummary("Rename a project (owners)").RequireScope(Scopes.Write);
        api.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a project without containers (owners)").RequireScope(Scopes.Write);
        api.MapGet("/{id}/members", ListMembersAsync).RequireScope(Scopes.Read);
        api.MapPost("/{id}/members", AddMemberAsync).WithSummary("Add a member with a role (owners)").RequireScope(Scopes.Write);
        api.MapPatch("/{id}/members/{userId}", UpdateMemberAsync).WithSummary("Change a member's role (owners)").RequireScope(Scopes.Write);
        api.MapDelete("/{id}/members/{userId}", RemoveMemberAsync).WithSummary("Remove a member (owners), or leave").RequireScope(Scopes.Write);
        api.MapGet("/{id}/roles", ListRolesAsync).WithSummary("The built-in and custom roles of a project").RequireScope(Scopes.Read);
        api.MapPost("/{id}/roles", CreateRoleAsync).WithSummary("Define a custom role (owners)").RequireScope(Scopes.Write);
        api.MapPatch("/{id}/roles/{name}", UpdateRoleAsync).WithSummary("Change a custom role's permissions (owners)").RequireScope(Scopes.Write);
        api.MapDelete("/{id}/roles/{name}", DeleteRoleAsync).WithSummary("Delete a custom role no member holds (owners)").RequireScope(Scopes.Write);
        return app;
    }

    private static async Task<Created<DataEnvelope<ProjectResponse>>> CreateAsync(
        HttpContext http, ProjectService projects, ProjectBody body, CancellationToken cancellationToken)
    {
        var project = await projects.CreateAsync(http.GetCaller(), body.Name, cancellationToken);
        return TypedResults.Created($"/api/v1/projects/{project.Id}", Envelope.Of(ProjectResponse.From(project), "Project created"));
    }

    private static async Task<Ok<ListEnvelope<ProjectResponse>>> ListAsync(
        HttpContext http, ProjectService projects, string? page, string? limit, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var pageNumber = errors.ParseInt("page", page, 1, 1, int.MaxValue);
        var pageSize = errors.ParseInt("limit", limit, 20, 1, ProjectService.MaxListLimit);
        errors.ThrowIfAny();
        var result = await projects.ListAsync(http.GetCaller(), pageNumber, pageSize, cancellationToken);
        return TypedResults.Ok(Envelope.Of(result, ProjectResponse.From, "Projects retrieved successfully"));
    }

    private static async Task<Ok<DataEnvelope<ProjectResponse>>> GetAsync(
        HttpContext http, ProjectService projects, string id, CancellationToken cancellationToken)
    {
        var project = await projects.GetAsync(http.GetCaller(), Ids.Parse(id), cancellationToken);
        return TypedResults.Ok(Envelope.Of(ProjectResponse.From(project), "Project retrieved successfully"));
    }

    private static async Task<Ok<DataEnvelope<ProjectResponse>>> UpdateAsync(
        HttpContext http, ProjectService projects, string id, ProjectBody body, CancellationToken cancellationToken)
    {
        var project = await projects.UpdateAsync(http.GetCaller(), Ids.Parse(id), body.Name, cancellationToken);
        return TypedResults.Ok(Envelope.Of(ProjectResponse.From(project), "Project updated"));
    }

    private static async Task<Ok<DataEnvelope<object?>>> DeleteAsync(
        HttpContext http, ProjectService projects, string id, CancellationToken cancellationToken)
    {
        await projects.DeleteAsync(http.GetCaller(), Ids.Parse(id), cancellationToken);
        return TypedResults.Ok(Envelope.Of<object?>(null, "Project deleted"));
    }

    private static async Task<Ok<DataEnvelope<List<ProjectMemberResponse>>>> ListMembersAsync(
        HttpContext http, ProjectService projects, string id, CancellationToken cancellationToken)
    {
        var members = await projects.ListMembersAsync(http.GetCaller(), Ids.Parse(id), cancellationToken);
        return TypedResults.Ok(Envelope.Of(members.Select(ProjectMemberResponse.From).ToList(), "Members retrieved successfully"));
    }

    private static async Task<Created<DataEnvelope<ProjectMemberResponse>>> AddMemberAsync(
        HttpContext http, ProjectService projects, string id, MemberBody body, CancellationToken cancellationToken)
    {
        var member = await projects.AddMemberAsync(http.GetCaller(), Ids.Parse(id), body.UserId, body.Role, cancellationToken);
        return TypedResults.Created($"/api/v1/projects/{member.ProjectId}/members/{member.UserId}",
            Envelope.Of(ProjectMemberResponse.From(member), "Member added"));
    }

    private static async Task<Ok<DataEnvelope<ProjectMemberResponse>>> UpdateMemberAsync(
        HttpContext http, ProjectService projects, string id, string userId, MemberBody body, CancellationToken cancellationToken)
    {
        var member = await projects.UpdateMemberAsync(
            http.GetCaller(), Ids.Parse(id), Ids.Parse(userId, "userId"), body.Role, cancellationToken);
        return TypedResults.Ok(Envelope.Of(ProjectMemberResponse.From(member), "Member updated"));
    }

    private static async Task<Ok<DataEnvelope<object?>>> RemoveMemberAsync(
        HttpContext http, ProjectService projects, string id, string userId, CancellationToken cancellationToken)
    {
        await projects.RemoveMemberAsync(http.GetCaller(), Ids.Parse(id), Ids.Parse(userId, "userId"), cancellationToken);
        return TypedResults.Ok(Envelope.Of<object?>(null, "Member removed"));
    }

    private static async Task<Ok<DataEnvelope<List<ProjectRoleResponse>>>> ListRolesAsync(
        HttpContext http, ProjectService projects, string id, CancellationToken cancellationToken)
    {
        var roles = await projects.ListRolesAsync(http.GetCaller(), Ids.Parse(id), cancellationToken);
        return TypedResults.Ok(Envelope.Of(roles.Select(ProjectRoleResponse.From).ToList(), "Roles retrieved successfully"));
    }

    private static async Task<Created<DataEnvelope<ProjectRoleResponse>>> CreateRoleAsync(
        HttpContext http, ProjectService projects, string id, RoleBody body, CancellationToken cancellationToken)
    {
        var role = await projects.CreateRoleAsync(http.GetCaller(), Ids.Parse(id), body.Name, body.Permissions, cancellationToken);
        return TypedResults.Created($"/api/v1/projects/{role.ProjectId}/roles/{role.Name}",
            Envelope.Of(ProjectRoleResponse.From(role), "Role created"));
    }

    private static async Task<Ok<DataEnvelope<ProjectRoleResponse>>> UpdateRoleAsync(
        HttpContext http, ProjectService projects, string id, string name, RoleBody body, CancellationToken cancellationToken)
    {
        var role = await projects.UpdateRoleAsync(http.GetCaller(), Ids.Parse(id), name, body.Permissions, cancellationToken);
        return TypedResults.Ok(Envelope.Of(ProjectRoleResponse.From(role), "Role updated"));
    }

    private static async Task<Ok<DataEnvelope<object?>>> DeleteRoleAsync(
        HttpContext http, ProjectService projects, string id, string name, CancellationToken cancellationToken)
    {
        await projects.DeleteRoleAsync(http.GetCaller(), Ids.Parse(id), name, cancellationToken);
        return TypedResults.Ok(Envelope.Of<object?>(null, "Role deleted"));
    }
}
