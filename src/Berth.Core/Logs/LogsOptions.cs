namespace Berth.Core.Logs;

/// <summary>The <c>Berth:Logs</c> section: how much of the replicas' output Berth keeps, and for how long.</summary>
public sealed class LogsOptions
{
    public const string Section = "Berth:Logs";

    /// <summary>
    /// How long the logs of a replica that is gone (replaced, removed, or its container deleted) stay
    /// on disk after its last line.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Disk kept per replica. Logs are written in two segments of half this size: when the newer is
    /// full the older is deleted, so a replica keeps between half and all of this of its latest output.
    /// </summary>
    public long MaxBytesPerReplica { get; set; } = 50L * 1024 * 1024;

    /// <summary>Lines a follower may have waiting before newer ones are dropped (and the drop reported).</summary>
    public int FollowerBuffer { get; set; } = 4096;

    /// <summary>How often the collector looks for running replicas it is not yet reading (events cover the time between).</summary>
    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often logs older than <see cref="Retention"/> are looked for and deleted.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);
}
