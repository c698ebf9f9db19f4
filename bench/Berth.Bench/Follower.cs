namespace Berth.Bench;

/// <summary>
/// A follow client reading in the background until it is disposed: a `docker logs -f` stream or a
/// streaming HTTP answer. Disposing stops the reading and releases the connection.
/// </summary>
internal sealed class Follower : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly IDisposable _resource;
    private readonly Task _reading;

    private Follower(string name, CancellationTokenSource stop, IDisposable resource, Task reading)
    {
        Name = name;
        _stop = stop;
        _resource = resource;
        _reading = reading;
    }

    public string Name { get; }

    /// <summary>Why the stream ended before it was disposed, or null while it is still open.</summary>
    public string? Ended => _reading.IsCompleted
        ? _reading.Exception?.GetBaseException().Message ?? "the stream ended"
        : null;

    public static Follower Start(string name, IDisposable resource, Func<CancellationToken, Task> read, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Its own thread-pool work item: the callback timestamps lines, so it must not wait behind the driver's loop.
        var reading = Task.Run(() => read(stop.Token), CancellationToken.None);
        return new Follower(name, stop, resource, reading);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _resource.Dispose();
        try
        {
            await _reading.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e)
        {
            // Cancelled or broken by the disposal above: that is how a follow ends.
            _ = e;
        }
        _stop.Dispose();
    }
}
