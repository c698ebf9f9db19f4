using Berth.Core.Logs;

namespace Berth.Core.Engine;

/// <summary>Reads what the replicas of the engine write to their standard output and error.</summary>
public interface IContainerLogSource
{
    /// <summary>
    /// The replica's lines from <paramref name="since"/> (inclusive; everything when null), in the order
    /// it wrote them, then new lines as it writes them. Ends when the replica stops running (a stopped
    /// replica yields what it wrote and ends at once) or is removed; throws
    /// <see cref="EngineUnavailableException"/> when the engine cannot be reached.
    /// </summary>
    IAsyncEnumerable<ReplicaLogLine> FollowAsync(string engineReplicaId, DateTimeOffset? since, CancellationToken cancellationToken);
}
