namespace Berth.Core.Containers;

public enum ContainerState
{
    Provisioning,
    Running,
    Paused,
    Stopped,
    Deploying,
    Failed,
    Deleting,
    Expired,
}

public enum ContainerOperation
{
    Create,
    Start,
    Stop,
    ForceStop,
    Restart,
    Pause,
    Resume,
    Deploy,
    Remove,
}

/// <summary>The wire names of states and operations, as the API documents spell them.</summary>
public static class WireNames
{
    private static readonly Dictionary<ContainerState, string> s_states = new()
    {
        [ContainerState.Provisioning] = "provisioning",
        [ContainerState.Running] = "running",
        [ContainerState.Paused] = "paused",
        [ContainerState.Stopped] = "stopped",
        [ContainerState.Deploying] = "deploying",
        [ContainerState.Failed] = "failed",
        [ContainerState.Deleting] = "deleting",
        [ContainerState.Expired] = "expired",
    };

    private static readonly Dictionary<ContainerOperation, string> s_operations = new()
    {
        [ContainerOperation.Create] = "create",
        [ContainerOperation.Start] = "start",
        [ContainerOperation.Stop] = "stop",
        [ContainerOperation.ForceStop] = "force-stop",
        [ContainerOperation.Restart] = "restart",
        [ContainerOperation.Pause] = "pause",
        [ContainerOperation.Resume] = "resume",
        [ContainerOperation.Deploy] = "deploy",
        [ContainerOperation.Remove] = "remove",
    };

    private static readonly Dictionary<string, ContainerState> s_stateByName =
        s_states.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    private static readonly Dictionary<string, ContainerOperation> s_operationByName =
        s_operations.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    public static IReadOnlyCollection<string> States => s_states.Values;

    public static string ToWire(this ContainerState state) => s_states[state];

    public static string ToWire(this ContainerOperation operation) => s_operations[operation];

    public static bool TryParseState(string? name, out ContainerState state) =>
        s_stateByName.TryGetValue(name ?? "", out state);

    /// <summary>Parses an operation named in a URL; <c>unpause</c> is accepted for <c>resume</c>.</summary>
    public static bool TryParseOperation(string? name, out ContainerOperation operation)
    {
        if (name == "unpause")
        {
            operation = ContainerOperation.Resume;
            return true;
        }
        return s_operationByName.TryGetValue(name ?? "", out operation);
    }
}
