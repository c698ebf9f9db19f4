namespace Berth.Core.Persistence;

/// <summary>A response kept so that a repeat of a request with the same Idempotency-Key replays it.</summary>
public sealed record StoredResponse(int StatusCode, string ContentType, byte[] Body, string? ETag);

public interface IIdempotencyStore
{
    /// <summary>The stored answer for (user, key) with the method and path it answered, or null.</summary>
    Task<(string Fingerprint, StoredResponse Response)?> FindAsync(Guid userId, string key, CancellationToken cancellationToken);

    Task SaveAsync(Guid userId, string key, string fingerprint, StoredResponse response, CancellationToken cancellationToken);
}
