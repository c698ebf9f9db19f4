using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace Berth.Server.Accounts.Jwt;

/// <summary>
/// Reads the <c>iss</c> of a JWT before anything is verified, only to choose the scheme that verifies
/// it. Runs on every request that carries a JWT, so it decodes into a stack or pooled buffer and
/// compares bytes without making strings.
/// </summary>
internal static class UnverifiedJwt
{
    private const int MaxPayloadChars = 16 * 1024;
    private const int StackBufferBytes = 1024;

    /// <summary>A compact JWS: three base64url parts, the first a JSON object (<c>eyJ</c> is <c>{"</c>).</summary>
    public static bool LooksLikeJwt(ReadOnlySpan<char> token) =>
        token.StartsWith("eyJ", StringComparison.Ordinal) && token.Count('.') == 2;

    /// <summary>Whether the token's payload names <paramref name="issuerUtf8"/> as its <c>iss</c>.</summary>
    public static bool IssuerIs(ReadOnlySpan<char> token, ReadOnlySpan<byte> issuerUtf8)
    {
        var start = token.IndexOf('.') + 1;
        var length = token[start..].IndexOf('.');
        if (start == 0 || length <= 0 || length > MaxPayloadChars)
        {
            return false;
        }
        var payload = token.Slice(start, length);
        var size = Base64Url.GetMaxDecodedLength(payload.Length);
        byte[]? rented = null;
        Span<byte> buffer = size <= StackBufferBytes ? stackalloc byte[StackBufferBytes] : (rented = ArrayPool<byte>.Shared.Rent(size));
        try
        {
            return Base64Url.DecodeFromChars(payload, buffer, out _, out var written) == OperationStatus.Done
                && ReadIssuerIs(buffer[..written], issuerUtf8);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static bool ReadIssuerIs(ReadOnlySpan<byte> json, ReadOnlySpan<byte> issuerUtf8)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isIssuer = reader.ValueTextEquals("iss"u8);
                if (!reader.Read())
                {
                    return false;
                }
                if (isIssuer)
                {
                    return reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(issuerUtf8);
                }
                reader.Skip();
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
