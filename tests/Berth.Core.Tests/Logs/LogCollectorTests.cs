using Berth.Core.Containers;
using Berth.Core.Engine;
using Berth.Core.Lifecycle;
using Berth.Core.Logs;
using Berth.Core.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Berth.Core.Tests.Logs;

public sealed class LogCollectorTests : IDisposable
{
    private static readonly DateTimeOffset s_start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "berth-core-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeEngine _engine = new();
    private readonly FakeLogSource _source = new();
    private readonly InMemoryContainerStore _store = new();
    private readonly LogHub _hub;
    private readonly LogCollector _collector;
    private readonly CancellationTokenSource _stop = new();

    public LogCollectorTests()
    {
        var options = new LogsOptions { FollowerBuffer = 100 };
        _hub = new LogHub(new LogStore(_root, options), Options.Create(options));
        _collector = new LogCollector(_engine, _source, _store, _hub, Options.Create(options), new TestTimeProvider(),
            NullLogger<LogCollector>.Instance);
    }

    private static ReplicaLogLine Line(int n) => new(s_start.AddMilliseconds(n), LogStream.Stdout, $"line-{n}");

    private Guid SeedContainer()
    {
        var id = Guid.CreateVersion7();
        _store.Seed(new Container
        {
            Id = id,
            UserId = Guid.NewGuid(),
            EnvironmentId = "local",
            Hostname = "box",
            Image = "berth/busybox:latest",
            State = ContainerState.Running,
            CreatedAt = s_start,
            UpdatedAt = s_start,
        });
        _engine.Seed(id, ReplicaState.Running);
        return id;
    }

    private static async Task<List<string>> ReadAsync(LogFollower follower, int count)
    {
        var texts = new List<string>();
        while (texts.Count < count && await follower.WaitToReadAsync(CancellationToken.None).Within())
        {
            while (follower.TryRead(out var entry))
            {
                texts.Add(((LogLine)entry).Text);
            }
        }
        return texts;
    }

    private List<string> Stored(Guid containerId) =>
        [.. LogStore.Read(_hub.Store.Segments(containerId), LogQuery.Default with { Tail = null }).Select(l => l.Text)];

    [Fact]
    public async Task Scan_ReplicaRunsStopsAndRunsAgain_StoresEachLineOnceAndFollowersGetEachOnce()
    {
        var id = SeedContainer();
        var engineId = _engine.Snapshot(id).Replicas[0].EngineId;
        _source.Start(engineId);
        _source.Write(engineId, Line(1));
        _source.Write(engineId, Line(2));
        var (_, follower) = _hub.Open(id, follow: true);
        using (follower)
        {
            await _collector.ScanAsync(_stop.Token).Within();
            Assert.Equal(["line-1", "line-2"], await ReadAsync(follower!, 2));

            _source.Stop(engineId);
            _engine.SetReplica(id, 0, ReplicaState.Exited, 0, action: null);
            await Eventually(() => _source.Sinces.Count == 1 && !_collector.IsReading(engineId));
            // Stopped and read to the end: a scan does not read it again.
            await _collector.ScanAsync(_stop.Token).Within();
            Assert.Single(_source.Sinces);

            _source.Start(engineId);
            _source.Write(engineId, Line(3));
            _engine.SetReplica(id, 0, ReplicaState.Running, action: null);
            await _collector.ScanAsync(_stop.Token).Within();

            Assert.Equal(["line-3"], await ReadAsync(follower!, 1));
            Assert.Equal([null, Line(2).Time], _source.Sinces);
            Assert.Equal(["line-1", "line-2", "line-3"], Stored(id));
        }
    }

    [Fact]
    public async Task Scan_FollowedContainerDeleted_EndsTheFollow()
    {
        var id = SeedContainer();
        var (_, follower) = _hub.Open(id, follow: true);
        using (follower)
        {
            await _store.DeleteAsync(id, Transitions.Create(id, ContainerState.Running, ContainerState.Deleting, "remove", "test", null, TimeProvider.System), CancellationToken.None);

            await _collector.ScanAsync(_stop.Token).Within();

            Assert.False(await follower!.WaitToReadAsync(CancellationToken.None).Within());
        }
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = TimeProvider.System.GetUtcNow() + TestTimeouts.Await;
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, "condition not met in time");
            await Task.Delay(10);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
