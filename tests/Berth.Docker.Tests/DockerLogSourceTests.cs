using System.Text;
using Berth.Core.Logs;
using Berth.Docker.Logs;

namespace Berth.Docker.Tests;

public sealed class DockerLogSourceTests
{
    [Theory]
    [InlineData("2025-01-31T12:00:00.123456789Z", 1234567)]
    [InlineData("2025-01-31T12:00:00.5Z", 5000000)]
    [InlineData("2025-01-31T12:00:00Z", 0)]
    [InlineData("2025-01-31T14:00:00.1+02:00", 1000000)]
    public void TryParseTime_EngineTimestamps_AreReadToTheTick(string stamp, long fractionTicks)
    {
        Assert.True(DockerLogSource.TryParseTime(stamp, out var time));
        Assert.Equal(new DateTimeOffset(2025, 1, 31, 12, 0, 0, TimeSpan.Zero).AddTicks(fractionTicks), time);
    }

    [Fact]
    public void UnixSeconds_IsWhatTheEngineTakesAsSince() =>
        Assert.Equal("1738324800.123456700",
            DockerLogSource.UnixSeconds(new DateTimeOffset(2025, 1, 31, 12, 0, 0, TimeSpan.Zero).AddTicks(1234567)));

    [Fact]
    public void LineSplitter_FramesSplitMidLine_GivesWholeLinesWithTheirTimes()
    {
        var splitter = new DockerLogSource.LineSplitter(LogStream.Stderr);
        var lines = new List<ReplicaLogLine>();
        var bytes = Encoding.UTF8.GetBytes("2025-01-31T12:00:00.1Z first żółw\r\n2025-01-31T12:00:00.2Z sec");

        splitter.Push(bytes.AsSpan(0, 30), lines);
        splitter.Push(bytes.AsSpan(30), lines);
        splitter.Push(Encoding.UTF8.GetBytes("ond\n2025-01-31T12:00:00.3Z"), lines);
        splitter.Finish(lines);

        Assert.Equal(["first żółw", "second", ""], lines.Select(l => l.Text));
        Assert.All(lines, l => Assert.Equal(LogStream.Stderr, l.Stream));
        Assert.Equal(new DateTimeOffset(2025, 1, 31, 12, 0, 0, 200, TimeSpan.Zero), lines[1].Time);
    }
}
