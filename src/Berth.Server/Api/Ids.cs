using Berth.Core.Errors;

namespace Berth.Server.Api;

internal static class Ids
{
    /// <summary>Route ids bind as strings so that a malformed one is 400 INVALID_ID_FORMAT, not a missing route.</summary>
    public static Guid Parse(string raw, string field = "id") =>
        Guid.TryParse(raw, out var id)
            ? id
            : throw new BerthException(BerthError.InvalidIdFormat, $"'{raw}' is not a valid id (expected a UUID)",
                new Dictionary<string, object?> { ["field"] = field });
}
