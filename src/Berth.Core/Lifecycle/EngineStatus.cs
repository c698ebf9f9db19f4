namespace Berth.Core.Lifecycle;

/// <summary>Whether Berth's subscription to the engine is live, as the reconciler last saw it.</summary>
public sealed class EngineStatus
{
    private volatile string? _problem = "not connected yet";

    public bool IsConnected => _problem is null;

    public string? Problem => _problem;

    public void Connected() => _problem = null;

    public void Disconnected(string problem) => _problem = problem;
}
