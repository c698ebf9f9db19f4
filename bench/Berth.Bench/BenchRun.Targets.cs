using System.Diagnostics;

namespace Berth.Bench;

internal sealed partial class BenchRun
{
    /// <summary>
    /// A running container for one section: created through Berth (the engine id is its replica 0), or,
    /// when only references are measured, directly in Docker. Both are removed at the end of the run.
    /// </summary>
    private async Task<(string? BerthId, string EngineId)> CreateTargetAsync(
        string suffix, IReadOnlyList<string>? command, bool direct, CancellationToken cancellationToken)
    {
        if (direct)
        {
            var name = $"berth-bench-{_options.RunId}-{suffix}";
            Log.Info($"creating the direct container {name}");
            return (null, await _docker.CreateRunningAsync(_options.Image, name, cancellationToken, command?.ToList()));
        }
        var hostname = $"bench-{_options.RunId}-{suffix}";
        Log.Info($"creating container {hostname} through Berth");
        var id = await _api!.CreateAsync(hostname, cancellationToken, command);
        RememberCreated(id);
        _mainCreated.Add(id);
        var state = await _api.WaitForStateAsync(id, ["running", "failed"], TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(100), cancellationToken);
        if (state != "running")
        {
            throw new BenchException($"Container {hostname} became '{state}' instead of running.");
        }
        return (id, await _docker.FindReplicaAsync(id, cancellationToken));
    }

    /// <summary>Polls a condition every millisecond or so; false when the time is up.</summary>
    private static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }
            await Task.Delay(1, cancellationToken);
        }
        return true;
    }

    private static double Since(long timestamp) => Stopwatch.GetElapsedTime(timestamp).TotalMilliseconds;

    private static double Between(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
