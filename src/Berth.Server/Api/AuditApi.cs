using System.Globalization;
using Berth.Core.Audit;
using Berth.Core.Errors;
using Berth.Server.Accounts;
using Berth.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Berth.Server.Api;

internal sealed record AuditEntryResponse(
    Guid Id,
    DateTimeOffset Time,
    Guid? UserId,
    Guid? TokenId,
    string Method,
    string? Route,
    string Path,
    string? TargetId,
    int Status,
    string Outcome,
    string? ErrorCode,
    string? SourceAddress,
    string RequestId)
{
    public static AuditEntryResponse From(AuditEntry e) => new(
        e.Id, e.Time, e.UserId, e.TokenId, e.Method, e.Route, e.Path, e.TargetId, e.Status,
        e.Denied ? AuditApi.Denied : AuditApi.Allowed, e.ErrorCode, e.SourceAddress, e.RequestId);
}

/// <summary><c>GET /api/v1/audit</c>: the audit log, newest first (admin).</summary>
internal static class AuditApi
{
    public const string Allowed = "allowed";
    public const string Denied = "denied";

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/audit", ListAsync)
            .RequireAuthorization(AccountsSetup.AdminPolicy)
            .WithMetadata(new RequiredScope(Core.Accounts.Scopes.Admin))
            .WithTags("Audit")
            .WithSummary("Mutating and refused requests, newest first (admin)");
        return app;
    }

    private static async Task<Ok<ListEnvelope<AuditEntryResponse>>> ListAsync(
        IAuditStore store, string? page, string? limit, string? user_id, string? outcome, string? method,
        string? since, string? until, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var pageNumber = errors.ParseInt("page", page, 1, 1, int.MaxValue);
        var pageLimit = errors.ParseInt("limit", limit, 20, 1, 100);
        Guid? userId = null;
        if (!string.IsNullOrEmpty(user_id))
        {
            if (Guid.TryParse(user_id, out var parsed))
            {
                userId = parsed;
            }
            else
            {
                errors.Add("user_id", "must be a user id (UUID)");
            }
        }
        bool? denied = errors.ParseChoice("outcome", outcome, "", Allowed, Denied) switch
        {
            Allowed => false,
            Denied => true,
            _ => null,
        };
        var from = ParseTime(errors, "since", since);
        var to = ParseTime(errors, "until", until);
        errors.ThrowIfAny();

        var query = new AuditQuery(userId, denied, string.IsNullOrEmpty(method) ? null : method.ToUpperInvariant(),
            from, to, pageNumber, pageLimit);
        var result = await store.ListAsync(query, cancellationToken);
        return TypedResults.Ok(Envelope.Of(result, AuditEntryResponse.From));
    }

    private static DateTimeOffset? ParseTime(FieldErrors errors, string field, string? raw)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }
        if (DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            return value;
        }
        errors.Add(field, "must be an ISO 8601 time like 2026-01-31T12:00:00Z");
        return null;
    }
}
