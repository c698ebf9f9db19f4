using System.Net;

namespace Berth.Server.Oauth;

/// <summary>
/// The <c>Berth:Oauth</c> section: how Berth acts as an OAuth 2.0 authorization server. The names are a
/// documented contract.
/// </summary>
internal sealed class OauthOptions
{
    public const string Section = "Berth:Oauth";

    /// <summary>
    /// The absolute URI tokens name as their issuer and discovery is relative to. When unset:
    /// <c>Berth:PublicUrl</c>, else the first listen URL (a wildcard host read as <c>localhost</c>).
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>
    /// Lets <c>/connect/*</c> answer plain HTTP although the issuer is not a loopback address (e.g. behind
    /// a proxy that ends TLS). Loopback issuers always may, so that a local install works out of the box.
    /// </summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>Short, because an access token is checked without a store query on most requests.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>The issuer this configuration names, with a trailing slash.</summary>
    public static Uri ResolveIssuer(OauthOptions options, IConfiguration configuration)
    {
        var configured = FirstNonEmpty(options.Issuer, configuration["Berth:PublicUrl"]);
        var raw = configured ?? ListenUrl(configuration);
        if (!Uri.TryCreate(raw, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new InvalidOperationException(
                $"The OAuth issuer '{raw}' is not an absolute http(s) URI without query or fragment; set {Section}:Issuer.");
        }
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    /// <summary>Whether <c>/connect/*</c> may be reached over plain HTTP.</summary>
    public bool AllowsHttp(Uri issuer) =>
        AllowInsecureHttp || issuer.Scheme == Uri.UriSchemeHttps || issuer.IsLoopback
        || IPAddress.TryParse(issuer.Host, out var address) && IPAddress.IsLoopback(address);

    private static string ListenUrl(IConfiguration configuration)
    {
        var first = (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault() ?? Hosting.BerthHost.DefaultUrl;
        // Kestrel's wildcards bind every address; tokens need one name, and this host answers to localhost.
        foreach (var wildcard in new[] { "://+", "://*", "://0.0.0.0", "://[::]" })
        {
            first = first.Replace(wildcard, "://localhost", StringComparison.Ordinal);
        }
        return first;
    }

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
