using Berth.Core.Logs;

namespace Berth.Core.Tests.Logs;

public sealed class LogStoreTests : IDisposable
{
    private static readonly DateTimeOffset s_start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "berth-core-tests", Guid.NewGuid().ToString("N"));
    private readonly Guid _containerId = Guid.CreateVersion7();

    private LogStore NewStore(long maxBytes = 50L * 1024 * 1024) => new(_root, new LogsOptions { MaxBytesPerReplica = maxBytes });

    private static ReplicaLogLine Line(int n, LogStream stream = LogStream.Stdout, string? text = null) =>
        new(s_start.AddMilliseconds(n), stream, text ?? $"line-{n}");

    private static LogQuery All => LogQuery.Default with { Tail = null };

    private void Write(LogStore store, int replica, string engineId, IEnumerable<ReplicaLogLine> lines)
    {
        using var writer = store.OpenWriter(_containerId, replica, engineId);
        foreach (var line in lines)
        {
            writer.Write(line);
        }
    }

    private List<LogLine> Read(LogStore store, LogQuery query) => [.. LogStore.Read(store.Segments(_containerId), query)];

    [Fact]
    public void Read_TwoReplicas_MergesByTimeAndTagsEachLine()
    {
        var store = NewStore();
        Write(store, 0, "aaaa", [Line(1), Line(3, LogStream.Stderr), Line(5)]);
        Write(store, 1, "bbbb", [Line(2), Line(4), Line(6, LogStream.Stderr)]);

        var lines = Read(store, All);

        Assert.Equal(["line-1", "line-2", "line-3", "line-4", "line-5", "line-6"], lines.Select(l => l.Text));
        Assert.Equal([0, 1, 0, 1, 0, 1], lines.Select(l => l.Replica));
        Assert.Equal(LogStream.Stderr, lines[2].Stream);
        Assert.Equal(Line(3).Time, lines[2].Time);
    }

    [Fact]
    public void Read_Tail_IsTheLastLinesOfAllReplicasTogether()
    {
        var store = NewStore();
        Write(store, 0, "aaaa", Enumerable.Range(0, 50).Select(n => Line(n * 2)));
        Write(store, 1, "bbbb", Enumerable.Range(0, 50).Select(n => Line((n * 2) + 1)));

        var lines = Read(store, LogQuery.Default with { Tail = 5 });

        Assert.Equal(["line-95", "line-96", "line-97", "line-98", "line-99"], lines.Select(l => l.Text));
        Assert.Empty(Read(store, LogQuery.Default with { Tail = 0 }));
    }

    [Fact]
    public void Read_SinceAndUntil_KeepOnlyTheLinesBetweenBothInclusive()
    {
        var store = NewStore();
        Write(store, 0, "aaaa", Enumerable.Range(0, 20).Select(n => Line(n)));
        var query = new LogQuery(null, Line(5).Time, Line(8).Time, false, false);

        Assert.Equal(["line-5", "line-6", "line-7", "line-8"], Read(store, query).Select(l => l.Text));
        Assert.Equal(["line-7", "line-8"], Read(store, query with { Tail = 2 }).Select(l => l.Text));
    }

    [Fact]
    public void Read_TailOfALargeLog_ReadsAcrossChunksAndKeepsLongAndUnicodeLines()
    {
        var store = NewStore();
        var text = new string('x', 5000) + " żółw 🐢";
        Write(store, 0, "aaaa", Enumerable.Range(0, 200).Select(n => Line(n, text: $"{n} {text}")));

        var lines = Read(store, LogQuery.Default with { Tail = 150 });

        Assert.Equal(150, lines.Count);
        Assert.Equal($"50 {text}", lines[0].Text);
        Assert.Equal($"199 {text}", lines[^1].Text);
        Assert.Equal(200, Read(store, All).Count);
    }

    [Fact]
    public void Write_BeyondTheCap_DeletesTheOldestPartAndKeepsTheNewest()
    {
        var store = NewStore(maxBytes: 64 * 1024);
        Write(store, 0, "aaaa", Enumerable.Range(0, 5000).Select(n => Line(n)));

        var files = store.Segments(_containerId);
        Assert.True(files.Sum(f => f.Length) <= 64 * 1024, $"{files.Sum(f => f.Length)} bytes on disk");
        Assert.Equal(2, files.Count);
        var lines = Read(store, All);
        Assert.Equal("line-4999", lines[^1].Text);
        Assert.Equal(Enumerable.Range(5000 - lines.Count, lines.Count).Select(n => $"line-{n}"), lines.Select(l => l.Text));
    }

    [Fact]
    public void OpenWriter_AfterARestart_ResumesFromTheLastTimeAndLeavesOutTheLinesItHas()
    {
        var store = NewStore();
        var sameTime = s_start.AddSeconds(1);
        Write(store, 0, "aaaa", [Line(1), new(sameTime, LogStream.Stdout, "a"), new(sameTime, LogStream.Stderr, "b")]);

        using (var writer = store.OpenWriter(_containerId, 0, "aaaa"))
        {
            Assert.Equal(sameTime, writer.LastTime);
            writer.Resume();
            // The engine replays from the last time, inclusive.
            var replay = new ReplicaLogLine[] { new(sameTime, LogStream.Stdout, "a"), new(sameTime, LogStream.Stderr, "b"), new(sameTime, LogStream.Stdout, "c"), new(sameTime.AddTicks(1), LogStream.Stdout, "d") };
            foreach (var line in replay.Where(writer.IsNew))
            {
                writer.Write(line);
            }
        }

        Assert.Equal(["line-1", "a", "b", "c", "d"], Read(store, All).Select(l => l.Text));
    }

    [Fact]
    public void Sweep_RemovesOnlyReplicasThatAreGoneAndOlderThanTheCutoff()
    {
        var store = NewStore();
        Write(store, 0, "gone-old", [Line(1)]);
        Write(store, 0, "gone-new", [Line(2)]);
        Write(store, 1, "present-old", [Line(3)]);
        foreach (var segment in store.Segments(_containerId).Where(s => s.Key.EndsWith("-old", StringComparison.Ordinal)))
        {
            File.SetLastWriteTimeUtc(segment.Path, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        }

        var deleted = store.Sweep((_, key) => key == "1-present-old", new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(1, deleted);
        Assert.Equal(["0-gone-new", "1-present-old"], store.Segments(_containerId).Select(s => s.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Sweep_EverythingGone_RemovesTheContainersDirectory()
    {
        var store = NewStore();
        Write(store, 0, "aaaa", [Line(1)]);

        store.Sweep((_, _) => false, DateTimeOffset.MaxValue);

        Assert.False(Directory.Exists(store.DirectoryOf(_containerId)));
        Assert.Empty(Read(store, All));
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
