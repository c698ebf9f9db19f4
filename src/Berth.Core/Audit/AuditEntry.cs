using Berth.Core.Persistence;

namespace Berth.Core.Audit;

/// <summary>
/// One audited request: who (user and token ids, never the token), what (method, route pattern, path,
/// target id) and how it ended. Bodies and headers are never recorded, so no secret can reach the log.
/// </summary>
public sealed record AuditEntry
{
    public required Guid Id { get; init; }

    /// <summary>When the request arrived.</summary>
    public required DateTimeOffset Time { get; init; }

    public Guid? UserId { get; init; }
    public Guid? TokenId { get; init; }
    public required string Method { get; init; }

    /// <summary>The matched route, e.g. <c>/api/v1/containers/{id}/{operation}</c>; null when none matched.</summary>
    public string? Route { get; init; }

    public required string Path { get; init; }

    /// <summary>The id the route names (<c>{id}</c> or <c>{deploymentId}</c>), when it has one.</summary>
    public string? TargetId { get; init; }

    public required int Status { get; init; }
    public string? ErrorCode { get; init; }
    public string? SourceAddress { get; init; }
    public required string RequestId { get; init; }

    /// <summary>Refused for want of a valid token (401) or of permission (403).</summary>
    public bool Denied => IsDenied(Status);

    public static bool IsDenied(int status) => status is 401 or 403;
}

/// <summary>Filters of the audit list; every one optional. Newest first.</summary>
public sealed record AuditQuery(
    Guid? UserId,
    bool? Denied,
    string? Method,
    DateTimeOffset? Since,
    DateTimeOffset? Until,
    int PageNumber,
    int Limit);

public interface IAuditStore
{
    Task AddAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken);

    Task<Page<AuditEntry>> ListAsync(AuditQuery query, CancellationToken cancellationToken);
}
