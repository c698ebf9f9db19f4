using Berth.Core.Commands;

namespace Berth.Core.Persistence;

/// <summary>The records of commands run in containers. Status changes are conditional on the status read.</summary>
public interface ICommandStore
{
    Task AddAsync(CommandExecution command, CancellationToken cancellationToken);

    /// <summary>The command with its output, or null.</summary>
    Task<CommandExecution?> FindAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>A container's commands, newest first, without their output (<see cref="CommandExecution.Stdout"/> is null).</summary>
    Task<Page<CommandExecution>> ListAsync(Guid containerId, int pageNumber, int limit, CancellationToken cancellationToken);

    /// <summary>Every command in <paramref name="status"/>, oldest first, without output.</summary>
    Task<IReadOnlyList<CommandExecution>> ListByStatusAsync(CommandStatus status, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the record if its stored status is still <paramref name="expected"/>; returns false (writing
    /// nothing) when another writer moved it first.
    /// </summary>
    Task<bool> TryUpdateAsync(CommandExecution updated, CommandStatus expected, CancellationToken cancellationToken);
}
