using System.Collections.Concurrent;
using Berth.Core.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Berth.Core.Commands;

/// <summary>
/// Runs queued commands, at most <see cref="CommandOptions.MaxConcurrent"/> at once. At start it fails
/// the commands a previous server left running (their process ended with it, or is unreachable) and
/// picks up the queued ones; after that a submission wakes it.
/// </summary>
public sealed partial class CommandWorker(
    ICommandStore store,
    CommandQueue queue,
    CommandRunner runner,
    CommandFeeds feeds,
    IOptions<CommandOptions> options,
    TimeProvider time,
    ILogger<CommandWorker> logger)
{
    internal const string InterruptedReason = "The Berth server stopped while the command was running";

    public async Task RunAsync(CancellationToken stopping)
    {
        await RecoverAsync(stopping).ConfigureAwait(false);

        using var slots = new SemaphoreSlim(Math.Max(1, options.Value.MaxConcurrent));
        var inFlight = new ConcurrentDictionary<Task, bool>();
        try
        {
            await foreach (var commandId in queue.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                await slots.WaitAsync(stopping).ConfigureAwait(false);
                var task = RunOneAsync(commandId, slots, stopping);
                inFlight.TryAdd(task, true);
                _ = task.ContinueWith(t => inFlight.TryRemove(t, out _), CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: what is queued stays queued for the next start.
        }
        finally
        {
            // Runners kill their processes and store the end when stopping; wait for that.
            await Task.WhenAll(inFlight.Keys).ConfigureAwait(false);
        }
    }

    /// <summary>Fails what a previous run left running and queues what it left queued.</summary>
    internal async Task RecoverAsync(CancellationToken cancellationToken)
    {
        foreach (var orphan in await store.ListByStatusAsync(CommandStatus.Running, cancellationToken).ConfigureAwait(false))
        {
            var full = await store.FindAsync(orphan.Id, cancellationToken).ConfigureAwait(false) ?? orphan;
            var failed = full with
            {
                Status = CommandStatus.Failed,
                Reason = InterruptedReason,
                FinishedAt = time.GetUtcNow(),
                Stdout = full.Stdout ?? "",
                Stderr = full.Stderr ?? "",
            };
            if (await store.TryUpdateAsync(failed, CommandStatus.Running, cancellationToken).ConfigureAwait(false))
            {
                feeds.Complete(failed);
                LogInterrupted(logger, orphan.Id);
            }
        }
        var queued = await store.ListByStatusAsync(CommandStatus.Queued, cancellationToken).ConfigureAwait(false);
        foreach (var command in queued)
        {
            queue.Enqueue(command.Id);
        }
        if (queued.Count > 0)
        {
            LogResumed(logger, queued.Count);
        }
    }

    private async Task RunOneAsync(Guid commandId, SemaphoreSlim slots, CancellationToken stopping)
    {
        try
        {
            await Task.Yield();
            await runner.RunAsync(commandId, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogRunnerFailed(logger, e, commandId);
        }
        finally
        {
            slots.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Command {CommandId} was running when the server stopped; marked failed")]
    private static partial void LogInterrupted(ILogger logger, Guid commandId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming {Count} queued command(s)")]
    private static partial void LogResumed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Runner of command {CommandId} failed")]
    private static partial void LogRunnerFailed(ILogger logger, Exception exception, Guid commandId);
}
