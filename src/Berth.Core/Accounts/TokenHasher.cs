using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Berth.Core.Accounts;

/// <summary>Makes personal access tokens and the only form of them that is ever stored: a SHA-256 hash.</summary>
public static class TokenHasher
{
    public const string Prefix = "berth_pat_";

    /// <summary>Characters of a token (after <see cref="Prefix"/>) that are safe to show again.</summary>
    private const int VisibleSecretChars = 6;

    private const int MaxTokenLength = 256;

    /// <summary>A new token: the prefix and 32 random bytes, base64url.</summary>
    public static string Generate() => Generate(Prefix);

    /// <summary>A new secret of another kind (e.g. a refresh token): <paramref name="prefix"/> and 32 random bytes, base64url.</summary>
    public static string Generate(string prefix)
    {
        Span<byte> secret = stackalloc byte[32];
        RandomNumberGenerator.Fill(secret);
        return prefix + Base64Url.EncodeToString(secret);
    }

    /// <summary>Lowercase hex SHA-256 of the token's UTF-8 bytes.</summary>
    public static string Hash(string plaintext) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(plaintext)));

    /// <summary>The start of a token, for telling tokens apart in lists.</summary>
    public static string DisplayPrefix(string plaintext) =>
        plaintext[..Math.Min(plaintext.Length, Prefix.Length + VisibleSecretChars)];

    /// <summary>A cheap check that rejects garbage before any hashing or store lookup.</summary>
    public static bool HasTokenShape(string? plaintext) =>
        plaintext is not null
        && plaintext.Length > Prefix.Length && plaintext.Length <= MaxTokenLength
        && plaintext.StartsWith(Prefix, StringComparison.Ordinal)
        && plaintext.All(c => c is > ' ' and < (char)127);
}
