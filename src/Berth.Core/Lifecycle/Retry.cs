namespace Berth.Core.Lifecycle;

/// <summary>Timing for the background loops that talk to the engine: backoff with jitter, and waits that end quietly on shutdown.</summary>
public static class Retry
{
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(10);

    /// <summary>0.5 s, 1 s, 2 s ... up to 10 s, each ±20 % so that many loops do not retry in step.</summary>
    public static TimeSpan Backoff(int failures)
    {
        var seconds = Math.Min(s_maxBackoff.TotalSeconds, 0.25 * Math.Pow(2, Math.Min(failures, 10)));
        return TimeSpan.FromSeconds(seconds * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    /// <summary>Waits <paramref name="delay"/> on <paramref name="time"/>; returns early, without throwing, on cancellation.</summary>
    public static async Task DelayAsync(TimeSpan delay, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
