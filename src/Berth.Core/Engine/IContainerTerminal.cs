namespace Berth.Core.Engine;

/// <summary>What to run in an interactive terminal: the program as argv (never a shell string) and the screen size.</summary>
public sealed record TerminalSpec(IReadOnlyList<string> Command, int Columns, int Rows);

/// <summary>Interactive TTY sessions inside a container's replicas.</summary>
public interface IContainerTerminal
{
    /// <summary>
    /// Starts <see cref="TerminalSpec.Command"/> on a TTY in the container's first running replica.
    /// Returns null when no replica is running.
    /// </summary>
    Task<ITerminalSession?> OpenAsync(Guid containerId, TerminalSpec spec, CancellationToken cancellationToken);
}

/// <summary>
/// One process on a TTY: keystrokes in, screen out. Reads and writes may run concurrently (one reader,
/// one writer). Disposing does not end the process; <see cref="KillAsync"/> does.
/// </summary>
public interface ITerminalSession : IAsyncDisposable
{
    /// <summary>Unique per session; it names the session's processes inside the replica.</summary>
    string Id { get; }

    int ReplicaIndex { get; }

    ValueTask WriteAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken);

    /// <summary>Screen output as it comes; 0 when the process has ended and everything was read.</summary>
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    Task ResizeAsync(int columns, int rows, CancellationToken cancellationToken);

    /// <summary>The exit code once the process has ended, null while it runs or when the engine does not know.</summary>
    Task<int?> GetExitCodeAsync(CancellationToken cancellationToken);

    /// <summary>Ends the process and every process it started in the replica. Safe to call more than once.</summary>
    Task KillAsync(CancellationToken cancellationToken);
}
