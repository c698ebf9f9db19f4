using Berth.Core.Accounts;
using System.Text.Json;
using Berth.Core.Deployments;
using Berth.Core.Errors;
using Berth.Core.Projects;
using Berth.Server.Accounts;
using Berth.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Berth.Server.Api;

/// <summary>Deploys, deployment history, cancel and rollback: thin handlers over <see cref="DeploymentService"/>.</summary>
internal static class DeploymentsApi
{
    public static IEndpointRouteBuilder MapDeploymentsApi(this IEndpointRouteBuilder app)
    {
        var containers = app.MapGroup("/api/v1/containers").WithTags("Deployments");
        containers.MapPost("/{id}/deploy", DeployAsync).WithIdempotency().RequireScope(Scopes.Deploy).NeedsPermission(Permission.Deploy);
        containers.MapGet("/{id}/deployments", ListAsync).RequireScope(Scopes.Read).NeedsPermission(Permission.View);

        var deployments = app.MapGroup("/api/v1/deployments").WithTags("Deployments");
        deployments.MapGet("/{deploymentId}", GetAsync).RequireScope(Scopes.Read).NeedsPermission(Permission.View);
        deployments.MapPost("/{deploymentId}/cancel", CancelAsync).WithIdempotency().RequireScope(Scopes.Deploy).NeedsPermission(Permission.Deploy);
        deployments.MapPost("/{deploymentId}/rollback", RollbackAsync).WithIdempotency().RequireScope(Scopes.Deploy).NeedsPermission(Permission.Deploy);
        return app;
    }

    private static async Task<Accepted<DataEnvelope<DeploymentRecord>>> DeployAsync(
        HttpContext http, DeploymentService service, string id, CancellationToken cancellationToken)
    {
        // The body is optional ("deploy what is pending"), so it is read here: a declared body would make
        // a bodiless POST fall through to the lifecycle route, which has no content-type demand.
        var body = await ReadOptionalBodyAsync(http, cancellationToken);
        var deployment = await service.DeployAsync(http.GetCaller(), id, body?.Image, http.Request.ExpectedVersion(), cancellationToken);
        return Accepted(deployment, "Deployment started");
    }

    private static async Task<Ok<ListEnvelope<DeploymentRecord>>> ListAsync(
        HttpContext http, DeploymentService service, string id, string? page, string? limit, CancellationToken cancellationToken)
    {
        var (pageNumber, pageSize) = FieldErrors.ParsePage(page, limit);
        var result = await service.ListAsync(http.GetCaller(), id, pageNumber, pageSize, cancellationToken);
        return TypedResults.Ok(Envelope.Of(result, DeploymentRecord.From, "Deployments retrieved successfully"));
    }

    private static async Task<Ok<DataEnvelope<DeploymentRecord>>> GetAsync(
        HttpContext http, DeploymentService service, string deploymentId, CancellationToken cancellationToken)
    {
        var deployment = await service.GetAsync(http.GetCaller(), Ids.Parse(deploymentId, "deployment_id"), cancellationToken);
        return TypedResults.Ok(Envelope.Of(DeploymentRecord.From(deployment), "Deployment retrieved successfully"));
    }

    private static async Task<Ok<DataEnvelope<DeploymentRecord>>> CancelAsync(
        HttpContext http, DeploymentService service, string deploymentId, CancellationToken cancellationToken)
    {
        var deployment = await service.CancelAsync(http.GetCaller(), Ids.Parse(deploymentId, "deployment_id"), cancellationToken);
        return TypedResults.Ok(Envelope.Of(DeploymentRecord.From(deployment), $"Deployment {deployment.Status.ToWire()}"));
    }

    private static async Task<Accepted<DataEnvelope<DeploymentRecord>>> RollbackAsync(
        HttpContext http, DeploymentService service, string deploymentId, CancellationToken cancellationToken)
    {
        var deployment = await service.RollbackAsync(http.GetCaller(), Ids.Parse(deploymentId, "deployment_id"), cancellationToken);
        return Accepted(deployment, "Rollback started");
    }

    private static Accepted<DataEnvelope<DeploymentRecord>> Accepted(Deployment deployment, string message) =>
        TypedResults.Accepted($"/api/v1/deployments/{deployment.Id}", Envelope.Of(DeploymentRecord.From(deployment), message));

    private static async Task<DeployBody?> ReadOptionalBodyAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (!http.Request.HasJsonContentType())
        {
            return null;
        }
        var json = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            return await http.Request.ReadFromJsonAsync<DeployBody>(json, cancellationToken);
        }
        catch (JsonException e)
        {
            throw BerthException.Validation("body", $"is not valid JSON: {e.Message}");
        }
    }

}

internal sealed record DeployBody(string? Image);

/// <summary>A deployment on the wire: both snapshots whole, secrets masked.</summary>
internal sealed record DeploymentRecord(
    Guid Id,
    Guid ContainerId,
    string Status,
    string? PreviousImage,
    string NewImage,
    string? ImageDigest,
    Guid? RollbackOf,
    string Actor,
    DateTimeOffset TriggeredAt,
    DateTimeOffset? FinishedAt,
    string? Reason,
    IReadOnlyList<DeploymentStepRecord> Steps,
    ContainerConfigRecord Config,
    ContainerConfigRecord PreviousConfig)
{
    public static DeploymentRecord From(Deployment d) => new(
        d.Id, d.ContainerId, d.Status.ToWire(), d.PreviousImage, d.NewImage, d.ImageDigest, d.RollbackOf, d.Actor,
        d.TriggeredAt, d.FinishedAt, d.Reason,
        [.. d.Steps.Select(s => new DeploymentStepRecord(s.At, s.Message))],
        ContainerConfigRecord.From(d.Target), ContainerConfigRecord.From(d.Previous));
}

internal sealed record DeploymentStepRecord(DateTimeOffset At, string Message);
