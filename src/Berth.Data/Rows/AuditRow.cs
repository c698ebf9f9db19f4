namespace Berth.Data.Rows;

internal sealed class AuditRow
{
    public Guid Id { get; set; }
    public DateTimeOffset Time { get; set; }
    public Guid? UserId { get; set; }
    public Guid? TokenId { get; set; }
    public string Method { get; set; } = "";
    public string? Route { get; set; }
    public string Path { get; set; } = "";
    public string? TargetId { get; set; }
    public int Status { get; set; }

    /// <summary>Stored so that the denied filter is an indexable column, not a status list.</summary>
    public bool Denied { get; set; }

    public string? ErrorCode { get; set; }
    public string? SourceAddress { get; set; }
    public string RequestId { get; set; } = "";
}
