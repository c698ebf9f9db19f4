using System.Globalization;

namespace Berth.Bench;

/// <summary>What the kernel says about a process: CPU time and resident memory, read from /proc.</summary>
internal static class ProcFs
{
    // USER_HZ: the unit of utime and stime. Linux fixes it at 100 for user space on every architecture.
    private const double TicksPerSecond = 100;

    public static TimeSpan CpuTime(int pid)
    {
        var stat = Read($"/proc/{pid}/stat");
        // The command name (field 2) may hold spaces and parentheses; the fields after it are counted from its last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((utime + stime) / TicksPerSecond);
    }

    public static long ResidentBytes(int pid)
    {
        foreach (var line in Read($"/proc/{pid}/status").Split('\n'))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new BenchException($"/proc/{pid}/status has no VmRSS line.");
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BenchException($"Cannot read {path}: {e.Message}", e);
        }
    }
}
