namespace Berth.Data.Rows;

internal sealed class TokenRow
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public string Name { get; set; } = "";
    public string TokenHash { get; set; } = "";
    public string Prefix { get; set; } = "";
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>Space-separated scope names; null for tokens minted before scopes existed.</summary>
    public string? Scopes { get; set; }
}
