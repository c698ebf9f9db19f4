using Berth.Core.Errors;

namespace Berth.Core.Containers;

public static class Preconditions
{
    /// <summary>Honours If-Match: a caller that read an older version of the record must read it again.</summary>
    public static void CheckVersion(long? expectedVersion, Container current)
    {
        if (expectedVersion is { } expected && expected != current.Version)
        {
            throw new BerthException(BerthError.PreconditionFailed,
                $"The container changed since you read it (your ETag \"{expected}\", current {current.ETag})",
                new Dictionary<string, object?> { ["etag"] = current.ETag });
        }
    }
}
