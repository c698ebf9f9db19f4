namespace Berth.Core.Engine;

/// <summary>
/// A place that runs workloads (one Docker host, later a Swarm cluster). It speaks in workloads and
/// replicas, never in engine-specific calls, so the services above do not change with the engine.
/// Every method throws <see cref="EngineUnavailableException"/> when the engine cannot be reached.
/// </summary>
public interface IContainerEngine
{
    /// <summary>Throws <see cref="EngineUnavailableException"/> unless the engine answers.</summary>
    Task PingAsync(CancellationToken cancellationToken);

    /// <summary>Creates (not starts) replicas so that exactly <see cref="WorkloadSpec.Replicas"/> exist.</summary>
    Task<WorkloadObservation> ApplyAsync(WorkloadSpec spec, CancellationToken cancellationToken);

    Task<WorkloadObservation> StartAsync(Guid containerId, CancellationToken cancellationToken);

    /// <summary>SIGTERM to every replica, then SIGKILL after <paramref name="grace"/>.</summary>
    Task<WorkloadObservation> StopAsync(Guid containerId, TimeSpan grace, CancellationToken cancellationToken);

    Task<WorkloadObservation> KillAsync(Guid containerId, CancellationToken cancellationToken);

    Task<WorkloadObservation> PauseAsync(Guid containerId, CancellationToken cancellationToken);

    Task<WorkloadObservation> UnpauseAsync(Guid containerId, CancellationToken cancellationToken);

    /// <summary>Removes every replica of the container and its volumes. Succeeds when none exist.</summary>
    Task RemoveAsync(Guid containerId, CancellationToken cancellationToken);

    /// <summary>
    /// Makes sure the engine has <paramref name="image"/> (pulling it when missing) and answers the
    /// reference that pins its exact content: a repository digest, or the local image id.
    /// </summary>
    Task<string> ResolveImageAsync(string image, CancellationToken cancellationToken);

    /// <summary>
    /// Creates and starts one replica of <paramref name="spec"/> at <paramref name="index"/> in the spec's
    /// generation, next to whatever replicas already run (a rolling deploy's building block).
    /// </summary>
    Task<ReplicaObservation> RunReplicaAsync(WorkloadSpec spec, int index, CancellationToken cancellationToken);

    /// <summary>Stops one replica (SIGTERM, SIGKILL after <paramref name="grace"/>) and removes it. Succeeds when it is gone already.</summary>
    Task RemoveReplicaAsync(Guid containerId, string engineId, TimeSpan grace, CancellationToken cancellationToken);

    Task<WorkloadObservation> ObserveAsync(Guid containerId, CancellationToken cancellationToken);

    /// <summary>Every workload this Berth instance owns on the engine.</summary>
    Task<IReadOnlyList<WorkloadObservation>> ObserveAllAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Changes to this instance's replicas as they happen. Ends (or throws) when the connection to the
    /// engine is lost; the caller resubscribes.
    /// </summary>
    IAsyncEnumerable<EngineEvent> WatchAsync(CancellationToken cancellationToken);
}

/// <summary>The engine could not be reached or failed in a way the caller cannot fix.</summary>
public sealed class EngineUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
