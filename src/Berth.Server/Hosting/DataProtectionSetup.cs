using Berth.Core;
using Berth.Core.Secrets;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace Berth.Server.Hosting;

internal static class DataProtectionSetup
{
    public const string KeysDirectoryName = "keys";

    /// <summary>Everything Berth keeps lives in its data directory, the framework's signing keys included.</summary>
    public static IHostApplicationBuilder AddBerthDataProtection(this IHostApplicationBuilder builder)
    {
        builder.Services.AddDataProtection().SetApplicationName("Berth");
        builder.Services.AddOptions<KeyManagementOptions>()
            .Configure<IOptions<BerthOptions>, ILoggerFactory>((keys, berth, loggers) =>
                keys.XmlRepository = new FileSystemXmlRepository(
                    new DirectoryInfo(Path.Combine(berth.Value.DataDirectory, KeysDirectoryName)), loggers));
        builder.Services.AddSingleton<ISecretProtector, DataProtectionSecretProtector>();
        return builder;
    }

    /// <summary>Secret env values at rest: Data Protection with its own purpose, so no other protected payload can be passed off as one.</summary>
    private sealed class DataProtectionSecretProtector(IDataProtectionProvider provider) : ISecretProtector
    {
        private readonly IDataProtector _protector = provider.CreateProtector("Berth.Secrets.Env.v1");

        public string Protect(string plaintext) => _protector.Protect(plaintext);

        public string Unprotect(string protectedText) => _protector.Unprotect(protectedText);
    }
}
