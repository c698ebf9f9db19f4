using Berth.Core.Accounts;
using Berth.Core.Containers;
using Berth.Core.Errors;
using Berth.Core.Persistence;
using Berth.Core.Projects;
using Berth.Server.Accounts;
using Berth.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Berth.Server.Api;

/// <summary>The native container API: thin handlers over <see cref="ContainerService"/>.</summary>
internal static class ContainersApi
{
    private const int MaxGraceSeconds = 3600;
    private const int MaxWaitSeconds = 600;

    public static IEndpointRouteBuilder MapContainersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/containers").WithTags("Containers");

        api.MapGet("/", ListAsync).RequireScope(Scopes.Read);
        api.MapPost("/", CreateAsync).WithIdempotency().RequireScope(Scopes.Write).NeedsPermission(Permission.Create);
        api.MapGet("/{id}", GetAsync).RequireScope(Scopes.Read).NeedsPermission(Permission.View);
        api.MapPatch("/{id}", UpdateAsync).RequireScope(Scopes.Write).NeedsPermission(Permission.Update);
        api.MapDelete("/{id}", DeleteAsync).WithIdempotency().RequireScope(Scopes.Write).NeedsPermission(Permission.Remove);
        api.MapPost("/{id}/{operation}", OperateAsync).WithIdempotency().RequireScope(Scopes.Write).NeedsOperationPermission();
        api.MapGet("/{id}/status-logs", ListStatusLogsAsync).RequireScope(Scopes.Read).NeedsPermission(Permission.View);
        api.MapGet("/{id}/wait", WaitAsync).RequireScope(Scopes.Read).NeedsPermission(Permission.View);
        return app;
    }

    private static async Task<Ok<ListEnvelope<ContainerRecord>>> ListAsync(
        HttpContext http, ContainerService containers, string? project_id, string? environment_id, string? state,
        string? page, string? limit, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        Guid? projectId = null;
        if (!string.IsNullOrEmpty(project_id))
        {
            if (Guid.TryParse(project_id, out var parsed))
            {
                projectId = parsed;
            }
            else
            {
                errors.Add("project_id", "must be a UUID");
            }
        }
        ContainerState? stateFilter = null;
        if (!string.IsNullOrEmpty(state))
        {
            if (WireNames.TryParseState(state, out var parsed))
            {
                stateFilter = parsed;
            }
            else
            {
                errors.Add("state", $"must be one of {string.Join(", ", WireNames.States)}");
            }
        }
        var pageNumber = errors.ParseInt("page", page, 1, 1, int.MaxValue);
        var pageSize = errors.ParseInt("limit", limit, 20, 1, 100);
        errors.ThrowIfAny();

        var result = await containers.ListAsync(http.GetCaller(),
            new ContainerListFilter(projectId, environment_id, stateFilter, pageNumber, pageSize), cancellationToken);
        return TypedResults.Ok(Envelope.Of(result, ContainerRecord.From, "Containers retrieved successfully"));
    }

    private static async Task<Ok<DataEnvelope<ContainerRecord>>> CreateAsync(
        HttpContext http, ContainerService containers, ContainerBody body, CancellationToken cancellationToken)
    {
        var container = await containers.CreateAsync(http.GetCaller(), body.ToCreate(), cancellationToken);
        return WithETag(http, container, "Container is being provisioned");
    }

    private static async Task<Ok<DataEnvelope<ContainerRecord>>> GetAsync(
        HttpContext http, ContainerService containers, string id, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(http.GetCaller(), id, cancellationToken);
        return WithETag(http, container, "Container retrieved successfully");
    }

    private static async Task<Ok<DataEnvelope<ContainerRecord>>> UpdateAsync(
        HttpContext http, ContainerService containers, string id, ContainerBody body, CancellationToken cancellationToken)
    {
        var container = await containers.UpdateAsync(http.GetCaller(), id, body.ToUpdate(), http.Request.ExpectedVersion(), cancellationToken);
        return WithETag(http, container,
            container.HasPendingChanges ? "Container updated; deploy to apply the changes" : "Container updated");
    }

    private static async Task<Ok<DataEnvelope<ContainerRecord>>> DeleteAsync(
        HttpContext http, ContainerService containers, string id, CancellationToken cancellationToken)
    {
        var container = await containers.DeleteAsync(http.GetCaller(), id, http.Request.ExpectedVersion(), cancellationToken);
        return TypedResults.Ok(Envelope.Of(ContainerRecord.From(container), "Container deleted successfully"));
    }

    private static async Task<Ok<DataEnvelope<ContainerRecord>>> OperateAsync(
        HttpContext http, ContainerService containers, string id, string operation, string? grace, CancellationToken cancellationToken)
    {
        if (!WireNames.TryParseOperation(operation, out var op) || op is ContainerOperation.Create or ContainerOperation.Remove or ContainerOperation.Deploy)
        {
            throw BerthException.Validation("operation", "must be one of start, stop, force-stop, restart, pause, resume (or unpause)");
        }
        var errors = new FieldErrors();
        var graceSeconds = errors.ParseInt("grace", grace, -1, 0, MaxGraceSeconds);
        errors.ThrowIfAny();
        TimeSpan? gracePeriod = graceSeconds < 0 ? null : TimeSpan.FromSeconds(graceSeconds);

        var container = await containers.OperateAsync(
            http.GetCaller(), id, op, gracePeriod, http.Request.ExpectedVersion(), cancellationToken);
        return WithETag(http, container, SuccessMessage(op, container));
    }

    private static async Task<Ok<ListEnvelope<StatusLogRecord>>> ListStatusLogsAsync(
        HttpContext http, ContainerService containers, string id, string? page, string? limit, string? sort_by, string? sort_order,
        CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var pageNumber = errors.ParseInt("page", page, 1, 1, int.MaxValue);
        var pageSize = errors.ParseInt("limit", limit, 10, 1, 100);
        var sortBy = errors.ParseChoice("sort_by", sort_by, "transition_time", "transition_time", "created_at", "to_status", "from_status");
        var order = errors.ParseChoice("sort_order", sort_order, "desc", "asc", "desc");
        errors.ThrowIfAny();

        var query = new TransitionQuery(pageNumber, pageSize,
            sortBy switch
            {
                "created_at" => TransitionSort.CreatedAt,
                "to_status" => TransitionSort.ToStatus,
                "from_status" => TransitionSort.FromStatus,
                _ => TransitionSort.TransitionTime,
            },
            order == "asc" ? SortOrder.Ascending : SortOrder.Descending);
        var result = await containers.ListStatusLogsAsync(http.GetCaller(), id, query, cancellationToken);
        return TypedResults.Ok(Envelope.Of(result, StatusLogRecord.From, "Container status logs retrieved successfully"));
    }

    private static async Task<Ok<DataEnvelope<ContainerRecord>>> WaitAsync(
        HttpContext http, ContainerWatcher watcher, string id, string? state, string? timeout, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var wanted = ContainerState.Running;
        if (string.IsNullOrEmpty(state))
        {
            errors.Add("state", "is required");
        }
        else if (!WireNames.TryParseState(state, out wanted))
        {
            errors.Add("state", $"must be one of {string.Join(", ", WireNames.States)}");
        }
        var seconds = errors.ParseInt("timeout", timeout, 60, 1, MaxWaitSeconds);
        errors.ThrowIfAny();

        var container = await watcher.WaitForStateAsync(http.GetCaller(), id, wanted, TimeSpan.FromSeconds(seconds), cancellationToken);
        return WithETag(http, container, $"Container is {wanted.ToWire()}");
    }

    private static Ok<DataEnvelope<ContainerRecord>> WithETag(HttpContext http, Container container, string message)
    {
        http.Response.SetETag(container);
        return TypedResults.Ok(Envelope.Of(ContainerRecord.From(container), message));
    }

    private static string SuccessMessage(ContainerOperation operation, Container container) =>
        container.State == ContainerState.Failed
            ? $"The {operation.ToWire()} did not complete: {container.StateReason}"
            : operation switch
            {
                ContainerOperation.Start => "Container started successfully",
                ContainerOperation.Stop => "Container stopped successfully",
                ContainerOperation.ForceStop => "Container force-stopped successfully",
                ContainerOperation.Restart => "Container restarted successfully",
                ContainerOperation.Pause => "Container paused successfully",
                ContainerOperation.Resume => "Container resumed successfully",
                _ => "Container operation completed successfully",
            };
}
