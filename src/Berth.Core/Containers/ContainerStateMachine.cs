using Berth.Core.Errors;

namespace Berth.Core.Containers;

/// <summary>Which operation each state allows and where it leads (DESIGN.md, "States and operations").</summary>
public static class ContainerStateMachine
{
    private static readonly Dictionary<ContainerOperation, ContainerState[]> s_allowedFrom = new()
    {
        [ContainerOperation.Start] = [ContainerState.Stopped, ContainerState.Failed],
        [ContainerOperation.Stop] = [ContainerState.Running, ContainerState.Paused, ContainerState.Deploying],
        [ContainerOperation.ForceStop] =
            [ContainerState.Running, ContainerState.Paused, ContainerState.Deploying, ContainerState.Provisioning, ContainerState.Failed],
        [ContainerOperation.Restart] = [ContainerState.Running, ContainerState.Failed],
        [ContainerOperation.Pause] = [ContainerState.Running],
        [ContainerOperation.Resume] = [ContainerState.Paused],
        [ContainerOperation.Deploy] = [ContainerState.Running, ContainerState.Stopped, ContainerState.Failed],
        [ContainerOperation.Remove] =
        [
            ContainerState.Provisioning, ContainerState.Running, ContainerState.Paused, ContainerState.Stopped,
            ContainerState.Deploying, ContainerState.Failed, ContainerState.Expired,
        ],
    };

    /// <summary>The state an operation ends in when the engine confirms it.</summary>
    public static ContainerState TargetOf(ContainerOperation operation) => operation switch
    {
        ContainerOperation.Create or ContainerOperation.Start or ContainerOperation.Restart
            or ContainerOperation.Resume or ContainerOperation.Deploy => ContainerState.Running,
        ContainerOperation.Stop or ContainerOperation.ForceStop => ContainerState.Stopped,
        ContainerOperation.Pause => ContainerState.Paused,
        ContainerOperation.Remove => ContainerState.Deleting,
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
    };

    public static bool Allows(ContainerState state, ContainerOperation operation) =>
        s_allowedFrom.TryGetValue(operation, out var from) && from.Contains(state);

    /// <summary>Throws the documented error when <paramref name="state"/> does not allow <paramref name="operation"/>.</summary>
    public static void EnsureAllowed(ContainerState state, ContainerOperation operation)
    {
        if (state == ContainerState.Expired && operation != ContainerOperation.Remove)
        {
            throw new BerthException(BerthError.OperationNotPermittedOnExpired,
                "The container has expired and is read-only; create a new container");
        }
        if (!Allows(state, operation))
        {
            throw new BerthException(BerthError.OperationStateConflict, ConflictMessage(state, operation),
                new Dictionary<string, object?> { ["state"] = state.ToWire(), ["operation"] = operation.ToWire() });
        }
    }

    private static string ConflictMessage(ContainerState state, ContainerOperation operation) => (state, operation) switch
    {
        (ContainerState.Running, ContainerOperation.Start) => "Container is already running",
        (ContainerState.Running, ContainerOperation.Resume) => "Container is already running",
        (ContainerState.Stopped, ContainerOperation.Stop) => "Container is already stopped",
        (ContainerState.Paused, ContainerOperation.Pause) => "Container is already paused",
        (ContainerState.Deleting, _) => "Container is being deleted",
        _ => $"Cannot {operation.ToWire()} a container that is {state.ToWire()}",
    };
}
