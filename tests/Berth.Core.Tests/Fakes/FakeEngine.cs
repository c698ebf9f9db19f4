using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Berth.Core.Engine;

namespace Berth.Core.Tests.Fakes;

/// <summary>One call the code under test made on the engine.</summary>
internal sealed record EngineCall(string Method, Guid ContainerId);

/// <summary>
/// An in-memory engine for unit tests of pure logic and services. Replicas have states that actions
/// change at once, or later when <see cref="DeferStateChanges"/> is set (the test then calls
/// <see cref="CompleteDeferred"/>, like an engine whose observations lag behind its actions).
/// </summary>
internal sealed class FakeEngine : IContainerEngine
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, List<Replica>> _workloads = [];
    private readonly Dictionary<Guid, WorkloadSpec> _specs = [];
    private readonly Channel<EngineEvent> _events = Channel.CreateUnbounded<EngineEvent>();
    private readonly List<EngineCall> _calls = [];
    private readonly List<(EngineCall Call, TaskCompletionSource Done)> _callWaiters = [];
    private int _nextEngineId;

    /// <summary>Every call throws <see cref="EngineUnavailableException"/> (after being recorded).</summary>
    public bool Unavailable { get; set; }

    /// <summary>Methods (by name, e.g. "Remove") that throw <see cref="EngineUnavailableException"/>.</summary>
    public HashSet<string> FailingMethods { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, a start leaves every replica it starts Exited with this code.</summary>
    public int? StartExitCode { get; set; }

    /// <summary>The exit code replicas get from a graceful stop.</summary>
    public int StopExitCode { get; set; }

    /// <summary>Actions record what they would do; observations show the old state until <see cref="CompleteDeferred"/>.</summary>
    public bool DeferStateChanges { get; set; }

    public IReadOnlyList<EngineCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    public int CountCalls(string method, Guid containerId) =>
        Calls.Count(c => c.Method == method && c.ContainerId == containerId);

    /// <summary>Completes when <paramref name="method"/> has been called for the container (now or earlier).</summary>
    public Task WaitForCallAsync(string method, Guid containerId)
    {
        var call = new EngineCall(method, containerId);
        lock (_gate)
        {
            if (_calls.Contains(call))
            {
                return Task.CompletedTask;
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _callWaiters.Add((call, done));
            return done.Task;
        }
    }

    /// <summary>The image each replica was started from by <see cref="RunReplicaAsync"/> (null for others), by index.</summary>
    public IReadOnlyList<(int Index, int Generation, string? Image)> ReplicasOf(Guid containerId)
    {
        lock (_gate)
        {
            return [.. (_workloads.GetValueOrDefault(containerId) ?? []).Select(r => (r.Index, r.Generation, r.Image))];
        }
    }

    public WorkloadSpec? SpecOf(Guid containerId)
    {
        lock (_gate)
        {
            return _specs.GetValueOrDefault(containerId);
        }
    }

    /// <summary>Puts replicas in the engine as if they had been there before the test.</summary>
    public void Seed(Guid containerId, params ReplicaState[] states) =>
        Seed(containerId, states.Select(s => (s, s == ReplicaState.Exited ? (int?)0 : null)).ToArray());

    public void Seed(Guid containerId, params (ReplicaState State, int? ExitCode)[] replicas)
    {
        lock (_gate)
        {
            _workloads[containerId] = replicas
                .Select((r, i) => new Replica(NextEngineId(), i) { State = r.State, ExitCode = r.ExitCode })
                .ToList();
        }
    }

    /// <summary>Changes one replica outside Berth (someone ran <c>docker kill</c>, the OOM killer struck...).</summary>
    public void SetReplica(Guid containerId, int index, ReplicaState state, int? exitCode = null, bool oomKilled = false, string? action = "die")
    {
        lock (_gate)
        {
            var replica = _workloads[containerId].Single(r => r.Index == index);
            replica.State = state;
            replica.ExitCode = exitCode;
            replica.OomKilled = oomKilled;
            replica.Deferred = null;
        }
        if (action is not null)
        {
            PushEvent(new EngineEvent(containerId, action));
        }
    }

    /// <summary>Kills every replica outside Berth, as <c>docker kill</c> does.</summary>
    public void KillOutside(Guid containerId, int exitCode = 137)
    {
        int count;
        lock (_gate)
        {
            count = _workloads[containerId].Count;
        }
        for (var i = 0; i < count; i++)
        {
            SetReplica(containerId, i, ReplicaState.Exited, exitCode, action: i == count - 1 ? "die" : null);
        }
    }

    /// <summary>Applies the state changes <see cref="DeferStateChanges"/> held back, then reports them as an event (unless told not to).</summary>
    public void CompleteDeferred(Guid containerId, bool emitEvent = true)
    {
        lock (_gate)
        {
            foreach (var replica in _workloads.GetValueOrDefault(containerId) ?? [])
            {
                if (replica.Deferred is { } deferred)
                {
                    replica.State = deferred.State;
                    replica.ExitCode = deferred.ExitCode;
                    replica.Deferred = null;
                }
            }
        }
        if (emitEvent)
        {
            PushEvent(new EngineEvent(containerId, "state"));
        }
    }

    public void PushEvent(EngineEvent engineEvent) => _events.Writer.TryWrite(engineEvent);

    public WorkloadObservation Snapshot(Guid containerId)
    {
        lock (_gate)
        {
            return Observe(containerId);
        }
    }

    public Task PingAsync(CancellationToken cancellationToken)
    {
        Record("Ping", Guid.Empty);
        return Task.CompletedTask;
    }

    public Task<WorkloadObservation> ApplyAsync(WorkloadSpec spec, CancellationToken cancellationToken)
    {
        Record("Apply", spec.ContainerId);
        lock (_gate)
        {
            _specs[spec.ContainerId] = spec;
            if (!_workloads.TryGetValue(spec.ContainerId, out var replicas))
            {
                replicas = [];
                _workloads[spec.ContainerId] = replicas;
            }
            replicas.RemoveAll(r => r.Index >= spec.Replicas);
            for (var i = 0; i < spec.Replicas; i++)
            {
                if (!replicas.Any(r => r.Index == i))
                {
                    replicas.Add(new Replica(NextEngineId(), i) { State = ReplicaState.Created });
                }
            }
            replicas.Sort((a, b) => a.Index.CompareTo(b.Index));
        }
        PushEvent(new EngineEvent(spec.ContainerId, "create"));
        return Task.FromResult(Snapshot(spec.ContainerId));
    }

    public Task<WorkloadObservation> StartAsync(Guid containerId, CancellationToken cancellationToken) =>
        Act("Start", containerId, "start", r => r.State is ReplicaState.Created or ReplicaState.Exited or ReplicaState.Dead
            ? StartExitCode is { } code ? (ReplicaState.Exited, code) : (ReplicaState.Running, null)
            : null);

    public Task<WorkloadObservation> StopAsync(Guid containerId, TimeSpan grace, CancellationToken cancellationToken) =>
        Act("Stop", containerId, "die", r => r.State is ReplicaState.Running or ReplicaState.Paused or ReplicaState.Restarting
            ? (ReplicaState.Exited, StopExitCode)
            : null);

    public Task<WorkloadObservation> KillAsync(Guid containerId, CancellationToken cancellationToken) =>
        Act("Kill", containerId, "die", r => r.State is ReplicaState.Running or ReplicaState.Paused or ReplicaState.Restarting
            ? (ReplicaState.Exited, 137)
            : null);

    public Task<WorkloadObservation> PauseAsync(Guid containerId, CancellationToken cancellationToken) =>
        Act("Pause", containerId, "pause", r => r.State == ReplicaState.Running ? (ReplicaState.Paused, null) : null);

    public Task<WorkloadObservation> UnpauseAsync(Guid containerId, CancellationToken cancellationToken) =>
        Act("Unpause", containerId, "unpause", r => r.State == ReplicaState.Paused ? (ReplicaState.Running, null) : null);

    public Task RemoveAsync(Guid containerId, CancellationToken cancellationToken)
    {
        Record("Remove", containerId);
        bool existed;
        lock (_gate)
        {
            existed = _workloads.Remove(containerId);
            _specs.Remove(containerId);
        }
        if (existed)
        {
            PushEvent(new EngineEvent(containerId, "destroy"));
        }
        return Task.CompletedTask;
    }

    public Task<string> ResolveImageAsync(string image, CancellationToken cancellationToken)
    {
        Record("ResolveImage", Guid.Empty);
        return Task.FromResult($"sha256:{image.GetHashCode(StringComparison.Ordinal):x8}");
    }

    public Task<ReplicaObservation> RunReplicaAsync(WorkloadSpec spec, int index, CancellationToken cancellationToken)
    {
        Record("RunReplica", spec.ContainerId);
        Replica replica;
        lock (_gate)
        {
            if (!_workloads.TryGetValue(spec.ContainerId, out var replicas))
            {
                replicas = [];
                _workloads[spec.ContainerId] = replicas;
            }
            // An image named "...exits..." stands for a version that crashes on start.
            var crashes = spec.Image.Contains("exits", StringComparison.Ordinal);
            replica = new Replica(NextEngineId(), index)
            {
                State = crashes ? ReplicaState.Exited : ReplicaState.Running,
                ExitCode = crashes ? 1 : null,
                Generation = spec.Generation,
                Image = spec.Image,
            };
            replicas.Add(replica);
            replicas.Sort((a, b) => a.Index.CompareTo(b.Index));
        }
        PushEvent(new EngineEvent(spec.ContainerId, "start"));
        return Task.FromResult(replica.ToObservation());
    }

    public Task RemoveReplicaAsync(Guid containerId, string engineId, TimeSpan grace, CancellationToken cancellationToken)
    {
        Record("RemoveReplica", containerId);
        lock (_gate)
        {
            _workloads.GetValueOrDefault(containerId)?.RemoveAll(r => r.EngineId == engineId);
        }
        PushEvent(new EngineEvent(containerId, "destroy"));
        return Task.CompletedTask;
    }

    public Task<WorkloadObservation> ObserveAsync(Guid containerId, CancellationToken cancellationToken)
    {
        Record("Observe", containerId);
        return Task.FromResult(Snapshot(containerId));
    }

    public Task<IReadOnlyList<WorkloadObservation>> ObserveAllAsync(CancellationToken cancellationToken)
    {
        Record("ObserveAll", Guid.Empty);
        lock (_gate)
        {
            IReadOnlyList<WorkloadObservation> all = _workloads.Keys.Select(Observe).Where(o => o.Exists).ToList();
            return Task.FromResult(all);
        }
    }

    public async IAsyncEnumerable<EngineEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Record("Watch", Guid.Empty);
        await foreach (var engineEvent in _events.Reader.ReadAllAsync(cancellationToken))
        {
            yield return engineEvent;
        }
    }

    private Task<WorkloadObservation> Act(
        string method, Guid containerId, string action, Func<Replica, (ReplicaState State, int? ExitCode)?> change)
    {
        Record(method, containerId);
        lock (_gate)
        {
            foreach (var replica in _workloads.GetValueOrDefault(containerId) ?? [])
            {
                if (change(replica) is not { } next)
                {
                    continue;
                }
                if (DeferStateChanges)
                {
                    replica.Deferred = next;
                }
                else
                {
                    replica.State = next.State;
                    replica.ExitCode = next.ExitCode;
                    replica.OomKilled = false;
                }
            }
        }
        if (!DeferStateChanges)
        {
            PushEvent(new EngineEvent(containerId, action));
        }
        return Task.FromResult(Snapshot(containerId));
    }

    private void Record(string method, Guid containerId)
    {
        var call = new EngineCall(method, containerId);
        List<TaskCompletionSource> done;
        lock (_gate)
        {
            _calls.Add(call);
            done = _callWaiters.Where(w => w.Call == call).Select(w => w.Done).ToList();
            _callWaiters.RemoveAll(w => w.Call == call);
        }
        foreach (var waiter in done)
        {
            waiter.TrySetResult();
        }
        if (Unavailable || FailingMethods.Contains(method))
        {
            throw new EngineUnavailableException($"Cannot reach the engine ({method})");
        }
    }

    private WorkloadObservation Observe(Guid containerId) =>
        _workloads.TryGetValue(containerId, out var replicas) && replicas.Count > 0
            ? new WorkloadObservation(containerId,
                replicas.Select(r => r.ToObservation()).ToList())
            : WorkloadObservation.Missing(containerId);

    private string NextEngineId() => $"fake{++_nextEngineId:D8}";

    private sealed class Replica(string engineId, int index)
    {
        public string EngineId { get; } = engineId;

        public int Index { get; } = index;

        public ReplicaState State { get; set; }

        public int? ExitCode { get; set; }

        public bool OomKilled { get; set; }

        public (ReplicaState State, int? ExitCode)? Deferred { get; set; }

        public int Generation { get; init; }

        public string? Image { get; init; }

        public ReplicaObservation ToObservation() =>
            new(EngineId, Index, State, ExitCode, OomKilled, HostPort: null, Generation: Generation);
    }
}
