using Berth.Core.Engine;
using Docker.DotNet.Models;

namespace Berth.Docker;

/// <summary>Reads Berth's meaning out of one message of the engine's event stream.</summary>
internal static class EngineEvents
{
    /// <summary>Null for anything that is not a container event of a Berth replica.</summary>
    public static EngineEvent? From(Message message)
    {
        if (message.Type != "container" || string.IsNullOrEmpty(message.Action))
        {
            return null;
        }
        return ReplicaLabels.ContainerId(message.Actor?.Attributes) is { } containerId
            ? new EngineEvent(containerId, message.Action)
            : null;
    }
}
