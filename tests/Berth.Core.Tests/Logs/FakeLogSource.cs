using System.Runtime.CompilerServices;
using Berth.Core.Engine;
using Berth.Core.Logs;

namespace Berth.Core.Tests.Logs;

/// <summary>
/// Replica output as an engine keeps it: every line ever written, replayed from <c>since</c>
/// (inclusive), then followed while the replica runs.
/// </summary>
internal sealed class FakeLogSource : IContainerLogSource
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<ReplicaLogLine>> _lines = new(StringComparer.Ordinal);
    private readonly HashSet<string> _running = new(StringComparer.Ordinal);
    private readonly List<DateTimeOffset?> _sinces = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<DateTimeOffset?> Sinces
    {
        get
        {
            lock (_gate)
            {
                return [.. _sinces];
            }
        }
    }

    public void Start(string engineId) => Change(() => _running.Add(engineId));

    public void Stop(string engineId) => Change(() => _running.Remove(engineId));

    public void Write(string engineId, ReplicaLogLine line) => Change(() =>
    {
        if (!_lines.TryGetValue(engineId, out var lines))
        {
            lines = [];
            _lines[engineId] = lines;
        }
        lines.Add(line);
    });

    public async IAsyncEnumerable<ReplicaLogLine> FollowAsync(
        string engineReplicaId, DateTimeOffset? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var next = 0;
        lock (_gate)
        {
            _sinces.Add(since);
            var lines = _lines.GetValueOrDefault(engineReplicaId) ?? [];
            while (since is { } s && next < lines.Count && lines[next].Time < s)
            {
                next++;
            }
        }
        while (true)
        {
            List<ReplicaLogLine> fresh;
            Task changed;
            bool running;
            lock (_gate)
            {
                var lines = _lines.GetValueOrDefault(engineReplicaId) ?? [];
                fresh = lines.Skip(next).ToList();
                next = lines.Count;
                running = _running.Contains(engineReplicaId);
                changed = _changed.Task;
            }
            foreach (var line in fresh)
            {
                yield return line;
            }
            if (fresh.Count == 0)
            {
                if (!running)
                {
                    yield break;
                }
                await changed.WaitAsync(cancellationToken);
            }
        }
    }

    private void Change(Action change)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            change();
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }
}
