using Berth.Core;
using Microsoft.Extensions.Options;

namespace Berth.Server.Hosting;

/// <summary>
/// This Berth's id, kept in its data directory and put on every engine object it creates
/// (<c>berth.instance</c>). Two Berths sharing one engine then never take each other's replicas for orphans.
/// </summary>
internal sealed class InstanceIdentity
{
    public InstanceIdentity(IOptions<BerthOptions> options)
    {
        var directory = options.Value.DataDirectory;
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "instance-id");
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } existing)
        {
            Id = existing;
            return;
        }
        Id = Guid.NewGuid().ToString("N");
        File.WriteAllText(path, Id);
    }

    public string Id { get; }
}
