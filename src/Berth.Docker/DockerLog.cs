using Microsoft.Extensions.Logging;

namespace Berth.Docker;

/// <summary>Every log line of the Docker engine. Replicas appear by their short (12 character) id.</summary>
internal static partial class DockerLog
{
    [LoggerMessage(1, LogLevel.Information, "Created replica {Index} of container {ContainerId} as {EngineId}")]
    public static partial void ReplicaCreated(ILogger logger, Guid containerId, int index, string engineId);

    [LoggerMessage(2, LogLevel.Information, "Removed replica {EngineId} of container {ContainerId}")]
    public static partial void ReplicaRemoved(ILogger logger, Guid containerId, string engineId);

    [LoggerMessage(3, LogLevel.Information, "Image {Image} is not on the engine; pulling it")]
    public static partial void PullingImage(ILogger logger, string image);

    [LoggerMessage(4, LogLevel.Warning, "Pulling image {Image} failed: {Reason}")]
    public static partial void PullFailed(ILogger logger, string image, string reason);

    [LoggerMessage(5, LogLevel.Debug, "{Action} replica {EngineId} of container {ContainerId}")]
    public static partial void ReplicaAction(ILogger logger, string action, string engineId, Guid containerId);

    [LoggerMessage(6, LogLevel.Debug, "Docker call '{Action}' answered {Status} ({Message}); nothing to do")]
    public static partial void Tolerated(ILogger logger, string action, int status, string message);

    [LoggerMessage(7, LogLevel.Warning, "Docker engine at {Endpoint} unreachable while trying to {Action}: {Reason}")]
    public static partial void Unreachable(ILogger logger, string endpoint, string action, string reason);

    [LoggerMessage(8, LogLevel.Debug, "Watching engine events since {Since}")]
    public static partial void WatchStarted(ILogger logger, DateTimeOffset since);

    [LoggerMessage(9, LogLevel.Information, "Engine event stream ended")]
    public static partial void WatchEnded(ILogger logger);

    [LoggerMessage(10, LogLevel.Debug, "Replica list of container {ContainerId} changed while acting on it; acting on the new replicas too")]
    public static partial void ReplicasChanged(ILogger logger, Guid containerId);

    [LoggerMessage(11, LogLevel.Information, "Replica disk limits (disk_gb) enforced by the storage driver: {Enforced}")]
    public static partial void DiskLimits(ILogger logger, bool enforced);
}
