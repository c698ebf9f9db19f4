using Berth.Core.Containers;

namespace Berth.Core.Engine;

public enum OutputStream
{
    Stdout,
    Stderr,
}

/// <summary>A process to run beside a container's main process.</summary>
public sealed record ExecRequest(IReadOnlyList<string> Argv, IReadOnlyList<EnvVar> Env, string? WorkingDir);

/// <summary>Runs processes inside a workload's running replica.</summary>
public interface IContainerExec
{
    /// <summary>
    /// Runs <paramref name="request"/> in the first running replica of the container, handing stdout and
    /// stderr to <paramref name="output"/> as they come (kept apart), and returns the exit code once the
    /// process ended (null when the engine does not tell). Cancelling stops waiting; it does not stop
    /// the process. Throws <see cref="NoRunningReplicaException"/> when no replica runs and
    /// <see cref="EngineUnavailableException"/> when the engine fails.
    /// </summary>
    Task<int?> RunAsync(
        Guid containerId,
        ExecRequest request,
        Func<OutputStream, ReadOnlyMemory<byte>, ValueTask> output,
        CancellationToken cancellationToken);
}

public sealed class NoRunningReplicaException(Guid containerId)
    : Exception($"Container {containerId} has no running replica");
