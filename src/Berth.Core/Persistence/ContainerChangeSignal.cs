namespace Berth.Core.Persistence;

/// <summary>
/// A pulse on every write of a container record: waiters and event streams wake and read the store
/// again. It carries no data, so a missed pulse costs latency, never correctness (the store is the truth).
/// </summary>
public sealed class ContainerChangeSignal
{
    private TaskCompletionSource _next = NewSource();

    /// <summary>A task that completes at the next pulse. Take it before reading the store, then await it.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public void Pulse() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
