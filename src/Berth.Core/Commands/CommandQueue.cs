using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Berth.Core.Commands;

/// <summary>
/// Wakes the worker when a command is submitted. The store is the truth: an id here is only a hint,
/// so a duplicate or a command canceled meanwhile costs one look at its record.
/// </summary>
public sealed class CommandQueue
{
    private readonly Channel<Guid> _ids = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(Guid commandId) => _ids.Writer.TryWrite(commandId);

    internal ChannelReader<Guid> Reader => _ids.Reader;
}

/// <summary>The commands this server is running now, so that a cancel reaches the runner that owns the process.</summary>
public sealed class CommandRuns
{
    private readonly ConcurrentDictionary<Guid, Run> _runs = new();

    internal Run? Register(Guid commandId)
    {
        var run = new Run();
        return _runs.TryAdd(commandId, run) ? run : null;
    }

    internal void Unregister(Guid commandId, Run run) =>
        _runs.TryRemove(new KeyValuePair<Guid, Run>(commandId, run));

    internal bool TryGet(Guid commandId, out Run run) => _runs.TryGetValue(commandId, out run!);

    internal sealed class Run
    {
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // Never disposed: a cancel may race the run's end, and a source without a timer holds nothing.
        public CancellationTokenSource Cancel { get; } = new();

        /// <summary>Completes once the final record is stored.</summary>
        public Task Finished => _finished.Task;

        public void MarkFinished() => _finished.TrySetResult();
    }
}
