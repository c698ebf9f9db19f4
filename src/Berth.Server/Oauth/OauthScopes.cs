using System.Collections.Immutable;
using OpenIddict.Abstractions;
using Berth.Core.Accounts;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Berth.Server.Oauth;

/// <summary>Berth's scopes are the OAuth scopes: the same names, read and written in OpenIddict's forms.</summary>
internal static class OauthScopes
{
    /// <summary>Every scope a client may ask for: Berth's five and <c>offline_access</c> (refresh tokens).</summary>
    public static readonly string[] Registered = [.. TokenScopes.Names.Select(n => n.Name), OpenIddictConstants.Scopes.OfflineAccess];

    /// <summary>The Berth scopes among <paramref name="names"/>; other names (offline_access) are not Berth's.</summary>
    public static Berth.Core.Accounts.Scopes Parse(IEnumerable<string> names) =>
        names.Aggregate(Berth.Core.Accounts.Scopes.None,
            (scopes, name) => TokenScopes.TryParse(name, out var scope) ? scopes | scope : scopes);

    /// <summary>The scopes an application was registered with, from its OpenIddict permissions.</summary>
    public static Berth.Core.Accounts.Scopes FromPermissions(ImmutableArray<string> permissions) =>
        Parse(permissions.Where(p => p.StartsWith(Permissions.Prefixes.Scope, StringComparison.Ordinal))
            .Select(p => p[Permissions.Prefixes.Scope.Length..]));

    public static IEnumerable<string> ToPermissions(Berth.Core.Accounts.Scopes scopes) =>
        TokenScopes.ToNames(scopes).Select(name => Permissions.Prefixes.Scope + name);
}
