namespace Berth.Core.Metrics;

/// <summary>The <c>Berth:Metrics</c> section: how often the background sampler reads the engine.</summary>
public sealed class MetricsOptions
{
    public const string Section = "Berth:Metrics";

    /// <summary>How often every up replica is read (one cheap engine call each). CPU % is the average over this interval.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often writable-layer sizes are read: the engine walks each replica's files for it.</summary>
    public TimeSpan DiskSampleInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How many replicas are read at once; bounds the load a sample puts on the engine.</summary>
    public int MaxParallelism { get; set; } = 8;
}
