using Berth.Core.Accounts;

namespace Berth.Server.Accounts.Jwt;

/// <summary>The <c>scope</c> claim of a JWT (RFC 8693: space-separated names) and Berth's <see cref="Scopes"/>.</summary>
internal static class ScopeClaim
{
    public const string Name = "scope";

    public static string Format(Scopes scopes) => string.Join(' ', TokenScopes.ToNames(scopes));

    /// <summary>The Berth scopes named; other names (e.g. <c>openid</c>) are ignored. Makes no strings.</summary>
    public static Scopes Parse(ReadOnlySpan<char> value)
    {
        var scopes = Scopes.None;
        foreach (var range in value.Split(' '))
        {
            var name = value[range];
            foreach (var (scope, scopeName) in TokenScopes.Names)
            {
                if (name.SequenceEqual(scopeName))
                {
                    scopes |= scope;
                    break;
                }
            }
        }
        return scopes;
    }
}
