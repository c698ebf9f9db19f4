using System.Runtime.CompilerServices;
using Berth.Core.Accounts;
using Berth.Core.Containers;
using Berth.Core.Errors;
using Berth.Core.Persistence;
using Berth.Core.Projects;
using Microsoft.Extensions.Options;

namespace Berth.Core.Commands;

/// <summary>
/// Submits, reads, lists and cancels commands. A command is visible exactly when its container is
/// (through <see cref="ContainerService.EnsureAllowedAsync"/>); the command of a container the caller cannot
/// see is 404 NOT_FOUND, like one that does not exist.
/// </summary>
public sealed class CommandService(
    ICommandStore store,
    ContainerService containers,
    CommandQueue queue,
    CommandRuns runs,
    CommandFeeds feeds,
    IOptions<CommandOptions> options,
    TimeProvider time)
{
    private readonly CommandOptions _options = options.Value;

    /// <summary>Stores the command as <c>queued</c> and wakes the worker.</summary>
    public async Task<CommandExecution> SubmitAsync(
        Caller caller, string containerIdOrHostname, SubmitCommandRequest request, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        CommandValidation.Validate(request, errors);
        errors.ThrowIfAny();

        var container = await containers.GetAsync(caller, containerIdOrHostname, Permission.Exec, cancellationToken).ConfigureAwait(false);
        if (container.State != ContainerState.Running)
        {
            throw new BerthException(BerthError.OperationStateConflict,
                $"Container is {container.State.ToWire()}; commands run only in a running container");
        }

        var now = time.GetUtcNow();
        var command = new CommandExecution
        {
            Id = Guid.CreateVersion7(now),
            ContainerId = container.Id,
            UserId = caller.UserId,
            Script = request.Script,
            Argv = request.Script is { } script ? ["sh", "-c", script] : request.Argv!,
            Env = request.Env ?? [],
            WorkingDir = request.WorkingDir,
            TimeoutSeconds = request.TimeoutSeconds ?? _options.DefaultTimeoutSeconds,
            Status = CommandStatus.Queued,
            CreatedAt = now,
        };
        await store.AddAsync(command, cancellationToken).ConfigureAwait(false);
        queue.Enqueue(command.Id);
        return command;
    }

    public Task<CommandExecution> GetAsync(Caller caller, Guid commandId, CancellationToken cancellationToken) =>
        GetVisibleAsync(caller, commandId, Permission.View, cancellationToken);

    /// <summary>The container's commands, newest first, without their output.</summary>
    public async Task<Page<CommandExecution>> ListAsync(
        Caller caller, string containerIdOrHostname, int pageNumber, int limit, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(caller, containerIdOrHostname, cancellationToken).ConfigureAwait(false);
        return await store.ListAsync(container.Id, pageNumber, limit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A queued command is canceled at once; a running one is killed inside the container first, and the
    /// answer waits for that. A finished command is 400 OPERATION_STATE_CONFLICT.
    /// </summary>
    public async Task<CommandExecution> CancelAsync(Caller caller, Guid commandId, CancellationToken cancellationToken)
    {
        var command = await GetVisibleAsync(caller, commandId, Permission.Exec, cancellationToken).ConfigureAwait(false);
        var killRequested = false;
        while (true)
        {
            switch (command.Status)
            {
                case CommandStatus.Queued:
                    var canceled = command with
                    {
                        Status = CommandStatus.Canceled,
                        Reason = "Canceled before it started",
                        FinishedAt = time.GetUtcNow(),
                        Stdout = "",
                        Stderr = "",
                    };
                    if (await store.TryUpdateAsync(canceled, CommandStatus.Queued, cancellationToken).ConfigureAwait(false))
                    {
                        feeds.Complete(canceled);
                        return canceled;
                    }
                    break;
                case CommandStatus.Running when runs.TryGet(commandId, out var run):
                    killRequested = true;
                    await run.Cancel.CancelAsync().ConfigureAwait(false);
                    await run.Finished.WaitAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case CommandStatus.Running:
                    // Running, yet no runner here: the record outlived the process that ran it.
                    var orphan = command with
                    {
                        Status = CommandStatus.Canceled,
                        Reason = "Canceled; no runner of this server was running it",
                        FinishedAt = time.GetUtcNow(),
                    };
                    if (await store.TryUpdateAsync(orphan, CommandStatus.Running, cancellationToken).ConfigureAwait(false))
                    {
                        feeds.Complete(orphan);
                        return orphan;
                    }
                    break;
                case var _ when killRequested:
                    // The runner stored its final record; a command that ended by itself first keeps its own status.
                    return command;
                default:
                    throw new BerthException(BerthError.OperationStateConflict, $"Command is already {command.Status.ToWire()}");
            }
            command = await store.FindAsync(commandId, cancellationToken).ConfigureAwait(false)
                ?? throw BerthException.NotFound("Command");
        }
    }

    /// <summary>
    /// The command's events: the output so far and then live, ending with <see cref="CommandFinished"/>.
    /// Checks visibility before returning, so that a refusal can still be an HTTP answer.
    /// </summary>
    public async Task<IAsyncEnumerable<CommandEvent>> WatchAsync(Caller caller, Guid commandId, CancellationToken cancellationToken)
    {
        await GetVisibleAsync(caller, commandId, Permission.View, cancellationToken).ConfigureAwait(false);
        return StreamAsync(commandId, cancellationToken);
    }

    private async IAsyncEnumerable<CommandEvent> StreamAsync(Guid commandId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Subscribe before reading the record: the runner stores the final record before it completes
        // the feed, so either the record read below is final, or the feed will deliver the end.
        using var subscription = feeds.Subscribe(commandId);
        var command = await store.FindAsync(commandId, cancellationToken).ConfigureAwait(false);
        if (command is null)
        {
            yield break;
        }
        if (command.IsFinished)
        {
            if (!string.IsNullOrEmpty(command.Stdout))
            {
                yield return new CommandOutput(Engine.OutputStream.Stdout, command.Stdout);
            }
            if (!string.IsNullOrEmpty(command.Stderr))
            {
                yield return new CommandOutput(Engine.OutputStream.Stderr, command.Stderr);
            }
            yield return new CommandFinished(command);
            yield break;
        }
        await foreach (var commandEvent in subscription.Events.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return commandEvent;
        }
    }

    private async Task<CommandExecution> GetVisibleAsync(Caller caller, Guid commandId, Permission permission, CancellationToken cancellationToken)
    {
        var command = await store.FindAsync(commandId, cancellationToken).ConfigureAwait(false)
            ?? throw BerthException.NotFound("Command");
        await containers.EnsureAllowedAsync(caller, command.ContainerId, "Command", permission, cancellationToken).ConfigureAwait(false);
        return command;
    }
}
