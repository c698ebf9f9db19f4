using Berth.Core.Logs;

namespace Berth.Core.Tests.Logs;

public sealed class LogFollowerTests
{
    private static readonly DateTimeOffset s_start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static LogLine Line(int n) => new(s_start.AddSeconds(n), 0, LogStream.Stdout, $"line-{n}");

    private static List<LogEntry> Drain(LogFollower follower)
    {
        var entries = new List<LogEntry>();
        while (follower.TryRead(out var entry))
        {
            entries.Add(entry);
        }
        return entries;
    }

    [Fact]
    public void Offer_WithinCapacity_DeliversEveryLineInOrder()
    {
        using var follower = new LogFollower(3);
        follower.Offer(Line(1));
        follower.Offer(Line(2));

        Assert.Equal([Line(1), Line(2)], Drain(follower));
    }

    [Fact]
    public void Offer_ToASlowReader_DropsNewerLinesAndMarksTheGapWhereItIs()
    {
        using var follower = new LogFollower(2);
        for (var n = 1; n <= 5; n++)
        {
            follower.Offer(Line(n));
        }

        // The reader catches up, then a new line comes: the marker sits between what was kept and it.
        var first = Drain(follower);
        follower.Offer(Line(6));
        var then = Drain(follower);

        Assert.Equal([Line(1), Line(2), new LogLinesDropped(Line(3).Time, 3)], first);
        Assert.Equal([Line(6)], then);
        Assert.Equal(3, follower.TotalDropped);
        Assert.Equal("3 lines dropped: the client is reading too slowly", ((LogLinesDropped)first[2]).Text);
    }

    [Fact]
    public void Offer_WhileFullForLong_NeverHoldsMoreThanItsCapacity()
    {
        using var follower = new LogFollower(10);
        for (var n = 0; n < 100_000; n++)
        {
            follower.Offer(Line(n));
        }
        follower.Offer(Line(100_000));

        var entries = Drain(follower);
        Assert.Equal(11, entries.Count);
        Assert.Equal(new LogLinesDropped(Line(10).Time, 99_991), entries[^1]);
    }

    [Fact]
    public void Offer_AfterTheReaderMadeRoom_PutsTheMarkerBeforeTheNextLine()
    {
        using var follower = new LogFollower(1);
        follower.Offer(Line(1));
        follower.Offer(Line(2));
        Assert.True(follower.TryRead(out var first));
        follower.Offer(Line(3));

        Assert.Equal(Line(1), first);
        Assert.Equal([new LogLinesDropped(Line(2).Time, 1), Line(3)], Drain(follower));
    }

    [Fact]
    public async Task WaitToReadAsync_WakesOnALineAndEndsOnComplete()
    {
        using var follower = new LogFollower(4);
        var waiting = follower.WaitToReadAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        follower.Offer(Line(1));
        Assert.True(await waiting.Within());
        Drain(follower);

        var ending = follower.WaitToReadAsync(CancellationToken.None);
        follower.Complete();
        Assert.False(await ending.Within());
        follower.Offer(Line(2));
        Assert.Empty(Drain(follower));
    }

    [Fact]
    public void Dispose_TellsItsOwner()
    {
        LogFollower? removed = null;
        var follower = new LogFollower(1, f => removed = f);

        follower.Dispose();

        Assert.Same(follower, removed);
    }
}
