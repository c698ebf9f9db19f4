using Berth.Docker.Metrics;
using Docker.DotNet.Models;

namespace Berth.Docker.Tests.Metrics;

public sealed class DockerStatsSourceTests
{
    [Fact]
    public void ToReading_CgroupV1Stats_DropsInactivePageCacheAndSumsInterfaces()
    {
        var stats = new ContainerStatsResponse
        {
            Read = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc),
            CPUStats = new CPUStats { CPUUsage = new CPUUsage { TotalUsage = 77 }, SystemUsage = 8_000, OnlineCPUs = 2 },
            MemoryStats = new MemoryStats
            {
                Usage = 10_000,
                Limit = 64 * 1024 * 1024,
                Stats = new Dictionary<string, ulong> { ["total_inactive_file"] = 4_000, ["cache"] = 6_000 },
            },
            Networks = new Dictionary<string, NetworkStats>
            {
                ["eth0"] = new() { RxBytes = 100, TxBytes = 10 },
                ["eth1"] = new() { RxBytes = 5, TxBytes = 1 },
            },
            PidsStats = new PidsStats { Current = 3 },
        };

        var reading = DockerStatsSource.ToReading(stats);

        Assert.Equal(77UL, reading.CpuUsageNanoseconds);
        Assert.Equal(8_000UL, reading.SystemCpuUsageNanoseconds);
        Assert.Equal(2, reading.OnlineCpus);
        Assert.Equal(6_000, reading.MemoryUsedBytes);
        Assert.Equal(64 * 1024 * 1024, reading.MemoryLimitBytes);
        Assert.Equal(105UL, reading.NetworkRxBytes);
        Assert.Equal(11UL, reading.NetworkTxBytes);
        Assert.Equal(3, reading.Pids);
    }

    [Fact]
    public void ToReading_CgroupV2StatsWithoutNetworks_UsesInactiveFileAndZeroTraffic()
    {
        var stats = new ContainerStatsResponse
        {
            CPUStats = new CPUStats { CPUUsage = new CPUUsage { TotalUsage = 1, PercpuUsage = [1, 0, 0, 0] } },
            MemoryStats = new MemoryStats { Usage = 9_000, Stats = new Dictionary<string, ulong> { ["inactive_file"] = 1_000 } },
        };

        var reading = DockerStatsSource.ToReading(stats);

        Assert.Equal(8_000, reading.MemoryUsedBytes);
        Assert.Equal(4, reading.OnlineCpus);
        Assert.Equal(0UL, reading.NetworkRxBytes);
        Assert.Equal(0, reading.Pids);
    }
}
