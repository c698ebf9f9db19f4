using Berth.Core.Containers;

namespace Berth.Core.Lifecycle;

public static class Transitions
{
    public static StatusTransition Create(
        Guid containerId, ContainerState? from, ContainerState to, string operation, string actor, string? reason, TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new StatusTransition
        {
            Id = Guid.CreateVersion7(now),
            ContainerId = containerId,
            FromStatus = from,
            ToStatus = to,
            TransitionTime = now,
            Operation = operation,
            Actor = actor,
            Reason = reason,
            CreatedAt = now,
        };
    }
}
