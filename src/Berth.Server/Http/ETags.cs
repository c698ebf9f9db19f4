using System.Globalization;
using Berth.Core.Containers;
using Berth.Core.Errors;
using Microsoft.Net.Http.Headers;

namespace Berth.Server.Http;

/// <summary>What an <c>If-Match</c> header asks for: nothing, any version (<c>*</c>), or one of some versions.</summary>
internal readonly record struct IfMatch(bool Present, bool Any, IReadOnlyList<long> Versions)
{
    public static readonly IfMatch None = new(false, false, []);

    public bool Allows(long currentVersion) => !Present || Any || Versions.Contains(currentVersion);
}

/// <summary>Container versions as HTTP ETags (<c>"7"</c>) and optimistic concurrency through <c>If-Match</c>.</summary>
internal static class ETags
{
    public static void SetETag(this HttpResponse response, Container container) =>
        response.Headers[HeaderNames.ETag] = container.ETag;

    /// <summary>Parses <c>If-Match</c>; a malformed header is 412 PRECONDITION_FAILED.</summary>
    public static IfMatch ParseIfMatch(this HttpRequest request)
    {
        var raw = request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(raw))
        {
            return IfMatch.None;
        }
        var versions = new List<long>();
        foreach (var part in raw.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part == "*")
            {
                return new IfMatch(true, true, []);
            }
            if (part.Length < 3 || part[0] != '"' || part[^1] != '"'
                || !long.TryParse(part.AsSpan(1, part.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new BerthException(BerthError.PreconditionFailed,
                    "If-Match must be an ETag this API returned, like \"3\", or *",
                    new Dictionary<string, object?> { ["if_match"] = raw });
            }
            versions.Add(version);
        }
        return new IfMatch(true, false, versions);
    }

    /// <summary>Throws 412 PRECONDITION_FAILED unless the request's <c>If-Match</c> (if any) names <paramref name="currentVersion"/>.</summary>
    public static void EnsureIfMatch(this HttpRequest request, long currentVersion)
    {
        if (!request.ParseIfMatch().Allows(currentVersion))
        {
            throw new BerthException(BerthError.PreconditionFailed,
                "The resource has changed since it was read; fetch it again and retry",
                new Dictionary<string, object?> { ["current_etag"] = $"\"{currentVersion}\"" });
        }
    }

    /// <summary>
    /// The one version an <c>If-Match</c> names, for services that check it under their own lock;
    /// null when there is no header or it is <c>*</c>.
    /// </summary>
    public static long? ExpectedVersion(this HttpRequest request)
    {
        var ifMatch = request.ParseIfMatch();
        if (!ifMatch.Present || ifMatch.Any)
        {
            return null;
        }
        if (ifMatch.Versions.Count != 1)
        {
            throw new BerthException(BerthError.PreconditionFailed, "If-Match must name exactly one ETag of this resource");
        }
        return ifMatch.Versions[0];
    }
}
