namespace Berth.Core.Tests;

internal static class TestTimeouts
{
    /// <summary>Far beyond what any in-memory step takes, so a slow machine never fails a correct test.</summary>
    public static readonly TimeSpan Await = TimeSpan.FromSeconds(10);

    public static Task Within(this Task task) => task.WaitAsync(Await);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Await);
}
