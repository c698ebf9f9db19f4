using Berth.Core.Containers;
using Berth.Core.Engine;
using Berth.Core.Metrics;
using Berth.Core.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Berth.Core.Tests.Metrics;

public sealed class MetricsSamplerTests
{
    private const long MiB = 1024 * 1024;
    private const long GiB = 1024 * MiB;

    private readonly FakeStatsSource _source = new();
    private readonly TestTimeProvider _time = new();
    private readonly MetricsOptions _options = new() { SampleInterval = TimeSpan.FromSeconds(5), DiskSampleInterval = TimeSpan.FromSeconds(60), MaxParallelism = 4 };

    private MetricsSampler NewSampler() => new(_source, Options.Create(_options), _time, NullLogger<MetricsSampler>.Instance);

    private static ReplicaReading Reading(ulong cpu = 0, ulong system = 0, int cpus = 2, long memory = 100 * MiB, long limit = 512 * MiB,
        ulong rx = 0, ulong tx = 0, int pids = 1) =>
        new(cpu, system, cpus, memory, limit, rx, tx, pids);

    private static Container NewContainer(ContainerState state = ContainerState.Running, int replicas = 1, int memoryMb = 512, int diskGb = 18) => new()
    {
        Id = Guid.NewGuid(),
        UserId = Guid.NewGuid(),
        EnvironmentId = "local",
        Hostname = "web",
        Image = "berth/busybox:latest",
        Replicas = replicas,
        MemoryMb = memoryMb,
        DiskGb = diskGb,
        State = state,
        CreatedAt = TestTimeProvider.DefaultStart,
        UpdatedAt = TestTimeProvider.DefaultStart,
    };

    [Fact]
    public void CpuPercent_HalfTheHostTimeOnTwoCores_IsOneFullCore()
    {
        var percent = MetricsSampler.CpuPercent(Reading(cpu: 1_000, system: 10_000), Reading(cpu: 1_001_000, system: 2_010_000), 0);

        Assert.Equal(100, percent, 6);
    }

    [Fact]
    public void CpuPercent_ReplicaCounterWentBack_IsZero()
    {
        var percent = MetricsSampler.CpuPercent(Reading(cpu: 5_000, system: 10_000), Reading(cpu: 1_000, system: 20_000), 42);

        Assert.Equal(0, percent);
    }

    [Fact]
    public void CpuPercent_HostCounterDidNotMove_KeepsThePreviousPercent()
    {
        var percent = MetricsSampler.CpuPercent(Reading(cpu: 1_000, system: 10_000), Reading(cpu: 2_000, system: 10_000), 42);

        Assert.Equal(42, percent);
    }

    [Fact]
    public void CpuPercent_MoreThanTheHostCanGive_IsCappedAtAllCores()
    {
        var percent = MetricsSampler.CpuPercent(Reading(cpu: 0, system: 0, cpus: 2), Reading(cpu: 5_000, system: 1_000, cpus: 2), 0);

        Assert.Equal(200, percent);
    }

    [Fact]
    public async Task SampleAsync_TwoReadingsOfOneReplica_CpuPercentIsTheirRate()
    {
        var container = NewContainer();
        _source.Run(container.Id, 0, "e0", Reading(cpu: 0, system: 0));
        var sampler = NewSampler();

        await sampler.SampleAsync(CancellationToken.None).Within();
        Assert.Equal(0, sampler.For(container).CpuPercent);

        _source.Set("e0", Reading(cpu: 250_000_000, system: 2_000_000_000));
        _time.Advance(TimeSpan.FromSeconds(5));
        await sampler.SampleAsync(CancellationToken.None).Within();

        var metrics = sampler.For(container);
        Assert.Equal(25, metrics.CpuPercent, 6);
        Assert.Equal(_time.GetUtcNow(), metrics.SampledAt);
    }

    [Fact]
    public async Task For_TwoReplicas_SumsThemAndListsEach()
    {
        var container = NewContainer(replicas: 2, diskGb: 20);
        _source.Run(container.Id, 0, "e0", Reading(memory: 100 * MiB, rx: 10, tx: 1, pids: 2));
        _source.Run(container.Id, 1, "e1", Reading(memory: 50 * MiB, rx: 5, tx: 2, pids: 3));
        _source.SetSize("e0", 2 * GiB);
        _source.SetSize("e1", 1 * GiB);
        var sampler = NewSampler();

        await sampler.RefreshDiskUsageAsync(CancellationToken.None).Within();
        await sampler.SampleAsync(CancellationToken.None).Within();
        var metrics = sampler.For(container);

        Assert.Equal([0, 1], metrics.Replicas.Select(r => r.Replica));
        Assert.Equal(150 * MiB, metrics.MemoryUsedBytes);
        Assert.Equal(1024 * MiB, metrics.MemoryTotalBytes);
        Assert.Equal(3 * GiB, metrics.DiskUsedBytes);
        Assert.Equal(40 * GiB, metrics.DiskTotalBytes);
        Assert.Equal(15, metrics.NetworkRxBytes);
        Assert.Equal(3, metrics.NetworkTxBytes);
        Assert.Equal(5, metrics.Pids);
        Assert.Equal(100 * MiB, metrics.Replicas[0].MemoryUsedBytes);
        Assert.Equal(20 * GiB, metrics.Replicas[1].DiskTotalBytes);
        Assert.All(metrics.Replicas, r => Assert.Equal(_time.GetUtcNow(), r.SampledAt));
    }

    [Fact]
    public async Task For_StoppedContainer_ZeroUsageConfiguredTotalsAndLastSampledAt()
    {
        var container = NewContainer(memoryMb: 256);
        _source.Run(container.Id, 0, "e0", Reading(memory: 100 * MiB, pids: 4));
        var sampler = NewSampler();
        await sampler.SampleAsync(CancellationToken.None).Within();
        var lastSeen = _time.GetUtcNow();

        _source.Stop("e0");
        _time.Advance(TimeSpan.FromSeconds(5));
        await sampler.SampleAsync(CancellationToken.None).Within();
        var metrics = sampler.For(container with { State = ContainerState.Stopped });

        Assert.Equal(0, metrics.MemoryUsedBytes);
        Assert.Equal(0, metrics.Pids);
        Assert.Equal(0, metrics.CpuPercent);
        Assert.Equal(256 * MiB, metrics.MemoryTotalBytes);
        Assert.Equal(18 * GiB, metrics.DiskTotalBytes);
        Assert.Equal(lastSeen, metrics.SampledAt);
        Assert.Equal(lastSeen, Assert.Single(metrics.Replicas).SampledAt);
    }

    [Fact]
    public async Task For_StoppedRecordBeforeTheNextPass_ZeroUsageAlready()
    {
        var container = NewContainer();
        _source.Run(container.Id, 0, "e0", Reading(memory: 100 * MiB, pids: 4));
        var sampler = NewSampler();
        await sampler.SampleAsync(CancellationToken.None).Within();

        var metrics = sampler.For(container with { State = ContainerState.Stopped });

        Assert.Equal(0, metrics.MemoryUsedBytes);
        Assert.Equal(0, metrics.Pids);
    }

    [Fact]
    public void For_NeverSampled_ZerosAndNoSampledAt()
    {
        var sampler = NewSampler();

        var metrics = sampler.For(NewContainer(replicas: 3));

        Assert.Null(metrics.SampledAt);
        Assert.Equal([0, 1, 2], metrics.Replicas.Select(r => r.Replica));
        Assert.All(metrics.Replicas, r => Assert.Null(r.SampledAt));
        Assert.Equal(3 * 512 * MiB, metrics.MemoryTotalBytes);
    }

    [Fact]
    public async Task For_StoppedLongAgo_NoSampledAt()
    {
        var container = NewContainer();
        _source.Run(container.Id, 0, "e0", Reading());
        var sampler = NewSampler();
        await sampler.SampleAsync(CancellationToken.None).Within();
        _source.Stop("e0");

        _time.Advance(MetricsSampler.LastSampledRetention + TimeSpan.FromSeconds(1));
        await sampler.SampleAsync(CancellationToken.None).Within();

        Assert.Null(sampler.For(container with { State = ContainerState.Stopped }).SampledAt);
    }

    [Fact]
    public async Task SampleAsync_ReplicaGone_IsNoLongerListed()
    {
        var container = NewContainer();
        _source.Run(container.Id, 0, "e0", Reading());
        var sampler = NewSampler();
        await sampler.SampleAsync(CancellationToken.None).Within();
        Assert.Single(sampler.Samples);

        _source.Stop("e0");
        await sampler.SampleAsync(CancellationToken.None).Within();

        Assert.Empty(sampler.Samples);
    }

    [Fact]
    public async Task SampleAsync_OneReplicaUnreadable_OthersStillSampled()
    {
        var container = NewContainer(replicas: 2);
        _source.Run(container.Id, 0, "e0", Reading(pids: 2));
        _source.Run(container.Id, 1, "e1", Reading(pids: 3));
        _source.Failing.Add("e0");
        var sampler = NewSampler();

        await sampler.SampleAsync(CancellationToken.None).Within();
        var metrics = sampler.For(container);

        Assert.Equal(3, metrics.Pids);
        Assert.Null(metrics.Replicas[0].SampledAt);
        Assert.NotNull(metrics.Replicas[1].SampledAt);
    }

    [Fact]
    public async Task SampleAsync_ManyReplicas_ReadsAtMostMaxParallelismAtOnce()
    {
        for (var i = 0; i < 20; i++)
        {
            _source.Run(Guid.NewGuid(), 0, $"e{i}", Reading());
        }
        _source.ReadGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sampler = NewSampler();

        var pass = sampler.SampleAsync(CancellationToken.None);
        await WaitUntilAsync(() => _source.MaxInFlight == _options.MaxParallelism);
        _source.ReadGate.SetResult();
        await pass.Within();

        Assert.Equal(_options.MaxParallelism, _source.MaxInFlight);
        Assert.Equal(20, sampler.Samples.Count);
    }

    [Fact]
    public async Task RunAsync_ClockAdvances_SamplesEveryIntervalAndDiskLessOften()
    {
        _source.Run(Guid.NewGuid(), 0, "e0", Reading());
        var sampler = NewSampler();
        using var stop = new CancellationTokenSource();

        var run = sampler.RunAsync(stop.Token);
        await _time.WaitForTimersAsync(2).Within();
        Assert.Equal((1, 1), (_source.Reads, _source.DiskReads));

        _time.Advance(_options.SampleInterval);
        await _time.WaitForTimersAsync(3).Within();
        Assert.Equal((2, 1), (_source.Reads, _source.DiskReads));

        _time.Advance(_options.DiskSampleInterval - _options.SampleInterval);
        await _time.WaitForTimersAsync(5).Within();
        Assert.Equal((3, 2), (_source.Reads, _source.DiskReads));

        await stop.CancelAsync();
        await run.Within();
    }

    [Fact]
    public async Task RunAsync_EngineDown_KeepsTheLastSamplesAndGoesOn()
    {
        var container = NewContainer();
        _source.Run(container.Id, 0, "e0", Reading(pids: 7));
        var sampler = NewSampler();
        using var stop = new CancellationTokenSource();
        var run = sampler.RunAsync(stop.Token);
        await _time.WaitForTimersAsync(2).Within();

        _source.Unavailable = true;
        _time.Advance(_options.SampleInterval);
        await _time.WaitForTimersAsync(3).Within();
        Assert.Equal(7, sampler.For(container).Pids);

        _source.Unavailable = false;
        _source.Set("e0", Reading(pids: 9));
        _time.Advance(_options.SampleInterval);
        await _time.WaitForTimersAsync(4).Within();
        Assert.Equal(9, sampler.For(container).Pids);

        await stop.CancelAsync();
        await run.Within();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Await);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
