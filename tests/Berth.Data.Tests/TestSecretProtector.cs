using System.Text;
using Berth.Core.Secrets;

namespace Berth.Data.Tests;

/// <summary>A reversible stand-in for Data Protection: enough to show the store never writes a secret as given.</summary>
internal sealed class TestSecretProtector : ISecretProtector
{
    public const string Prefix = "test-protected:";

    public string Protect(string plaintext) => Prefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(plaintext));

    public string Unprotect(string protectedText) =>
        protectedText.StartsWith(Prefix, StringComparison.Ordinal)
            ? Encoding.UTF8.GetString(Convert.FromBase64String(protectedText[Prefix.Length..]))
            : throw new InvalidOperationException("not protected by this protector");
}
