namespace Berth.Core.Secrets;

/// <summary>
/// Encrypts secret values before they are stored and decrypts them when read back. The host provides
/// it (ASP.NET Data Protection, keys under the data directory); Berth writes no cryptography itself.
/// </summary>
public interface ISecretProtector
{
    string Protect(string plaintext);

    /// <summary>Throws when the text was not produced by <see cref="Protect"/> with a key this server holds.</summary>
    string Unprotect(string protectedText);
}
