namespace Berth.Api.Tests.Infrastructure;

/// <summary>Polls until a condition holds, instead of sleeping for a guessed time.</summary>
public static class Eventually
{
    private static readonly TimeSpan s_defaultInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Runs <paramref name="probe"/> until <paramref name="condition"/> holds for its value and returns
    /// that value. Throws a <see cref="TimeoutException"/> naming <paramref name="what"/> and the last
    /// value (or error) seen when <paramref name="timeout"/> passes first.
    /// </summary>
    public static async Task<T> UntilAsync<T>(
        Func<Task<T>> probe, Func<T, bool> condition, TimeSpan timeout, string what, TimeSpan? interval = null)
    {
        var deadline = Now() + timeout;
        var last = "nothing yet";
        while (true)
        {
            try
            {
                var value = await probe().WaitAsync(timeout);
                if (condition(value))
                {
                    return value;
                }
                last = $"value: {value}";
            }
            catch (Exception e)
            {
                last = $"error: {e.GetType().Name}: {e.Message}";
            }
            if (Now() >= deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}; last {last}");
            }
            await Task.Delay(interval ?? s_defaultInterval);
        }
    }

    private static DateTimeOffset Now() => TimeProvider.System.GetUtcNow();
}
