using Berth.Core;
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
        return builder;
    }
}
