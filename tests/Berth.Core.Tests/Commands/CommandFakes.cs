using System.Collections.Concurrent;
using System.Text;
using Berth.Core.Commands;
using Berth.Core.Engine;
using Berth.Core.Persistence;
using Berth.Core.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Core.Tests.Commands;

internal sealed class InMemoryCommandStore : ICommandStore
{
    private readonly ConcurrentDictionary<Guid, CommandExecution> _commands = new();
    private readonly Lock _gate = new();

    public Task AddAsync(CommandExecution command, CancellationToken cancellationToken)
    {
        _commands[command.Id] = command;
        return Task.CompletedTask;
    }

    public Task<CommandExecution?> FindAsync(Guid id, CancellationToken cancellationToken) =>
        Task.FromResult(_commands.TryGetValue(id, out var c) ? c : null);

    public Task<Page<CommandExecution>> ListAsync(Guid containerId, int pageNumber, int limit, CancellationToken cancellationToken)
    {
        var all = _commands.Values.Where(c => c.ContainerId == containerId).OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id).ToList();
        var items = all.Skip((pageNumber - 1) * limit).Take(limit).Select(c => c with { Stdout = null, Stderr = null }).ToList();
        return Task.FromResult(new Page<CommandExecution>(items, pageNumber, limit, all.Count));
    }

    public Task<IReadOnlyList<CommandExecution>> ListByStatusAsync(CommandStatus status, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CommandExecution>>(
            [.. _commands.Values.Where(c => c.Status == status).OrderBy(c => c.CreatedAt).Select(c => c with { Stdout = null, Stderr = null })]);

    public Task<bool> TryUpdateAsync(CommandExecution updated, CommandStatus expected, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_commands.TryGetValue(updated.Id, out var current) || current.Status != expected)
            {
                return Task.FromResult(false);
            }
            _commands[updated.Id] = updated;
            return Task.FromResult(true);
        }
    }

    public CommandExecution Get(Guid id) => _commands[id];
}

/// <summary>
/// An exec that runs commands by a script the test sets, and ends a hanging command when the runner
/// sends its kill (as the real kill ends the real process).
/// </summary>
internal sealed class FakeExec : IContainerExec
{
    private readonly TaskCompletionSource<int?> _killed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public List<ExecRequest> Requests { get; } = [];

    public int Kills { get; private set; }

    /// <summary>What the command writes, then its exit code; null exit code means it runs until killed.</summary>
    public List<(OutputStream Stream, string Text)> Output { get; } = [];

    public int? ExitCode { get; set; }

    public Task Started => _started.Task;

    public async Task<int?> RunAsync(Guid containerId, ExecRequest request, Func<OutputStream, ReadOnlyMemory<byte>, ValueTask> output, CancellationToken cancellationToken)
    {
        lock (Requests)
        {
            Requests.Add(request);
        }
        if (request.Argv[2].Contains("kill -KILL", StringComparison.Ordinal))
        {
            Kills++;
            _killed.TrySetResult(137);
            return 0;
        }
        foreach (var (stream, text) in Output)
        {
            await output(stream, Encoding.UTF8.GetBytes(text));
        }
        _started.TrySetResult();
        return ExitCode is { } code ? code : await _killed.Task.WaitAsync(cancellationToken);
    }
}

/// <summary>The command services over in-memory fakes and the Core harness's containers and clock.</summary>
internal sealed class CommandHarness : IAsyncDisposable
{
    public CommandHarness(CommandOptions? options = null)
    {
        var commandOptions = Microsoft.Extensions.Options.Options.Create(options ?? new CommandOptions());
        Runner = new CommandRunner(Store, Core.Store, Exec, Runs, Feeds, commandOptions, Core.Time, NullLogger<CommandRunner>.Instance);
        Service = new CommandService(Store, Core.Service, Queue, Runs, Feeds, commandOptions, Core.Time);
        Worker = new CommandWorker(Store, Queue, Runner, Feeds, commandOptions, Core.Time, NullLogger<CommandWorker>.Instance);
    }

    public CoreHarness Core { get; } = new();
    public InMemoryCommandStore Store { get; } = new();
    public FakeExec Exec { get; } = new();
    public CommandQueue Queue { get; } = new();
    public CommandRuns Runs { get; } = new();
    public CommandFeeds Feeds { get; } = new();
    public CommandRunner Runner { get; }
    public CommandService Service { get; }
    public CommandWorker Worker { get; }

    public bool TryDequeue(out Guid id) => Queue.Reader.TryRead(out id);

    public ValueTask DisposeAsync() => Core.DisposeAsync();
}
