namespace Berth.Data.Rows;

internal sealed class IdempotencyRow
{
    public Guid UserId { get; set; }
    public string Key { get; set; } = "";
    public string Fingerprint { get; set; } = "";
    public int StatusCode { get; set; }
    public string ContentType { get; set; } = "";
    public byte[] Body { get; set; } = [];
    public string? ETag { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
