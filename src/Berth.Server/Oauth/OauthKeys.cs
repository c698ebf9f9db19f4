using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Berth.Core;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Berth.Server.Oauth;

/// <summary>
/// The keys the OAuth server signs (RS256) and encrypts (A256KW) with. Made once and kept in the data
/// directory, protected by Data Protection like every other secret Berth keeps, so that tokens survive a
/// restart and the JWKS a client cached stays right. A development certificate made per start would
/// invalidate every token on each restart.
/// </summary>
internal sealed class OauthKeys
{
    public const string FileName = "oauth-keys";

    private const string Purpose = "Berth.Oauth.Keys.v1";
    private const int MaxHeaderChars = 512;

    private readonly byte[] _keyIdUtf8;

    public OauthKeys(IOptions<BerthOptions> options, IDataProtectionProvider dataProtection)
    {
        var protector = dataProtection.CreateProtector(Purpose);
        var path = Path.Combine(options.Value.DataDirectory, FileName);
        var stored = File.Exists(path)
            ? JsonSerializer.Deserialize<StoredKeys>(protector.Unprotect(File.ReadAllText(path)))
                ?? throw new InvalidOperationException($"The OAuth key file {path} is empty.")
            : Create(path, protector);

        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(stored.SigningKey), out _);
        SigningKey = new RsaSecurityKey(rsa) { KeyId = stored.SigningKeyId };
        _keyIdUtf8 = Encoding.UTF8.GetBytes(stored.SigningKeyId);
        EncryptionKey = new SymmetricSecurityKey(Convert.FromBase64String(stored.EncryptionKey)) { KeyId = stored.EncryptionKeyId };
    }

    public RsaSecurityKey SigningKey { get; }

    /// <summary>
    /// Whether the (unverified) header of the compact JWT <paramref name="token"/> names this signing key:
    /// only to choose the scheme that then verifies it.
    /// </summary>
    public bool SignedThis(ReadOnlySpan<char> token)
    {
        var end = token.IndexOf('.');
        if (end <= 0 || end > MaxHeaderChars)
        {
            return false;
        }
        Span<byte> header = stackalloc byte[MaxHeaderChars];
        if (Base64Url.DecodeFromChars(token[..end], header, out _, out var written) != OperationStatus.Done)
        {
            return false;
        }
        try
        {
            var reader = new Utf8JsonReader(header[..written]);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("kid"u8))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(_keyIdUtf8);
                }
            }
        }
        catch (JsonException)
        {
            // Not a JSON header: not one of ours; the scheme it goes to refuses it.
        }
        return false;
    }

    public SymmetricSecurityKey EncryptionKey { get; }

    private static StoredKeys Create(string path, IDataProtector protector)
    {
        using var rsa = RSA.Create(2048);
        var keys = new StoredKeys(
            Guid.NewGuid().ToString("N"),
            Convert.ToBase64String(rsa.ExportPkcs8PrivateKey()),
            Guid.NewGuid().ToString("N"),
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Written whole, then moved into place: a crash never leaves half a key file behind.
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, protector.Protect(JsonSerializer.Serialize(keys)));
        File.Move(temporary, path, overwrite: true);
        return keys;
    }

    private sealed record StoredKeys(string SigningKeyId, string SigningKey, string EncryptionKeyId, string EncryptionKey);
}
