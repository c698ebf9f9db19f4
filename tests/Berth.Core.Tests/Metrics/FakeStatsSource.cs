using Berth.Core.Engine;

namespace Berth.Core.Tests.Metrics;

/// <summary>Replicas and their readings as the test sets them; counts calls and the reads in flight.</summary>
internal sealed class FakeStatsSource : IContainerStatsSource
{
    private readonly Lock _gate = new();
    private readonly List<RunningReplica> _running = [];
    private readonly Dictionary<string, ReplicaReading> _readings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _sizes = new(StringComparer.Ordinal);
    private int _inFlight;

    public HashSet<string> Failing { get; } = new(StringComparer.Ordinal);

    public bool Unavailable { get; set; }

    /// <summary>When set, every read waits for it, so that a test can see how many run at once.</summary>
    public TaskCompletionSource? ReadGate { get; set; }

    public int MaxInFlight { get; private set; }

    public int DiskReads { get; private set; }

    public int Reads { get; private set; }

    public void Run(Guid containerId, int index, string engineId, ReplicaReading reading)
    {
        lock (_gate)
        {
            _running.RemoveAll(r => r.EngineId == engineId);
            _running.Add(new RunningReplica(containerId, index, engineId));
            _readings[engineId] = reading;
        }
    }

    public void Set(string engineId, ReplicaReading reading)
    {
        lock (_gate)
        {
            _readings[engineId] = reading;
        }
    }

    public void Stop(string engineId)
    {
        lock (_gate)
        {
            _running.RemoveAll(r => r.EngineId == engineId);
            _readings.Remove(engineId);
        }
    }

    public void SetSize(string engineId, long bytes)
    {
        lock (_gate)
        {
            _sizes[engineId] = bytes;
        }
    }

    public Task<IReadOnlyList<RunningReplica>> ListRunningAsync(CancellationToken cancellationToken)
    {
        ThrowIfUnavailable();
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<RunningReplica>>([.. _running]);
        }
    }

    public async Task<ReplicaReading?> ReadAsync(string engineId, CancellationToken cancellationToken)
    {
        ThrowIfUnavailable();
        lock (_gate)
        {
            Reads++;
            _inFlight++;
            MaxInFlight = Math.Max(MaxInFlight, _inFlight);
        }
        try
        {
            if (ReadGate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken);
            }
            if (Failing.Contains(engineId))
            {
                throw new EngineUnavailableException($"cannot read {engineId}");
            }
            lock (_gate)
            {
                return _readings.TryGetValue(engineId, out var reading) ? reading : null;
            }
        }
        finally
        {
            lock (_gate)
            {
                _inFlight--;
            }
        }
    }

    public Task<IReadOnlyDictionary<string, long>> ReadWritableLayerSizesAsync(CancellationToken cancellationToken)
    {
        ThrowIfUnavailable();
        lock (_gate)
        {
            DiskReads++;
            return Task.FromResult<IReadOnlyDictionary<string, long>>(new Dictionary<string, long>(_sizes, StringComparer.Ordinal));
        }
    }

    private void ThrowIfUnavailable()
    {
        if (Unavailable)
        {
            throw new EngineUnavailableException("engine down");
        }
    }
}
