using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Berth.Core.Accounts;

/// <summary>
/// Makes session secrets and their CSRF tokens, and compares what a request presents with the stored
/// hashes. The CSRF token is an HMAC of the secret, so the server can hand it out again to a page that
/// proves it holds the cookie (a reload) without storing anything but hashes.
/// </summary>
public static class SessionSecrets
{
    /// <summary>32 random bytes in base64url, without padding.</summary>
    private const int SecretLength = 43;

    private const int MaxCsrfTokenLength = 256;

    private static ReadOnlySpan<byte> CsrfLabel => "berth-csrf-token"u8;

    /// <summary>A new session secret: 32 random bytes, base64url.</summary>
    public static string Generate()
    {
        Span<byte> secret = stackalloc byte[32];
        RandomNumberGenerator.Fill(secret);
        return Base64Url.EncodeToString(secret);
    }

    /// <summary>The only form of a secret or CSRF token that is stored: lowercase hex SHA-256.</summary>
    public static string Hash(string value) => TokenHasher.Hash(value);

    /// <summary>The session's CSRF token: HMAC-SHA256 of a fixed label, keyed with the secret.</summary>
    public static string CsrfToken(string secret) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), CsrfLabel));

    /// <summary>A cheap check that rejects garbage before any hashing or store lookup.</summary>
    public static bool HasSecretShape(string? secret) =>
        secret is { Length: SecretLength } && Base64Url.IsValid(secret);

    /// <summary>Whether <paramref name="presented"/> is the token whose hash is <paramref name="storedHash"/>, in constant time.</summary>
    public static bool CsrfMatches(string storedHash, string? presented)
    {
        if (string.IsNullOrEmpty(presented) || presented.Length > MaxCsrfTokenLength)
        {
            return false;
        }
        Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> actual = stackalloc byte[SHA256.HashSizeInBytes];
        if (Convert.FromHexString(storedHash, expected, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != expected.Length)
        {
            return false;
        }
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), actual);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}
