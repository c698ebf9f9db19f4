using System.Security.Cryptography;
using System.Text.Json;
using Berth.Core;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Berth.Server.Accounts.Jwt;

/// <summary>
/// The key Berth signs its access tokens with: RSA 2048 (RS256), because verifying an RSA signature is
/// several times cheaper than verifying an ECDSA one, and every request verifies while only a sign-in
/// signs. Created on the first start and kept in the data directory, its private part protected with
/// ASP.NET Data Protection (the keys under <c>keys/</c>), so that tokens outlive a restart.
/// </summary>
internal sealed partial class JwtSigningKey
{
    public const string FileName = "jwt-signing-key.json";
    private const string ProtectorPurpose = "Berth.Jwt.SigningKey.v1";
    private const int KeySizeInBits = 2048;

    public JwtSigningKey(
        IOptions<BerthOptions> options, IDataProtectionProvider dataProtection, TimeProvider timeProvider, ILogger<JwtSigningKey> logger)
    {
        var protector = dataProtection.CreateProtector(ProtectorPurpose);
        var path = Path.Combine(options.Value.DataDirectory, FileName);
        using var rsa = RSA.Create();
        if (File.Exists(path))
        {
            var stored = JsonSerializer.Deserialize<StoredKey>(File.ReadAllText(path))
                ?? throw new InvalidOperationException($"The JWT signing key file {path} is empty.");
            rsa.ImportPkcs8PrivateKey(protector.Unprotect(Convert.FromBase64String(stored.ProtectedPrivateKey)), out _);
        }
        else
        {
            rsa.KeySize = KeySizeInBits;
            Save(path, new StoredKey(Convert.ToBase64String(protector.Protect(rsa.ExportPkcs8PrivateKey())), timeProvider.GetUtcNow()));
            KeyCreated(logger, path);
        }

        var publicKey = new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: false));
        KeyId = Base64UrlEncoder.Encode(publicKey.ComputeJwkThumbprint());
        publicKey.KeyId = KeyId;
        ValidationKey = publicKey;
        SigningCredentials = new SigningCredentials(
            new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: true)) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256);
        PublicJwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(publicKey);
        PublicJwk.Use = JsonWebKeyUseNames.Sig;
        PublicJwk.Alg = SecurityAlgorithms.RsaSha256;
    }

    /// <summary>The <c>kid</c> of every token: the key's RFC 7638 thumbprint.</summary>
    public string KeyId { get; }

    public SigningCredentials SigningCredentials { get; }

    /// <summary>The public half, for validating.</summary>
    public SecurityKey ValidationKey { get; }

    /// <summary>The public half as a JWK, for <c>/.well-known/jwks.json</c>.</summary>
    public JsonWebKey PublicJwk { get; }

    /// <summary>Written whole or not at all: a crash mid-write must not leave a key that cannot be read.</summary>
    private static void Save(string path, StoredKey key)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(key));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        File.Move(temporary, path, overwrite: false);
    }

    private sealed record StoredKey(string ProtectedPrivateKey, DateTimeOffset CreatedAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the JWT signing key {Path}")]
    private static partial void KeyCreated(ILogger logger, string path);
}
