using System.Globalization;

namespace Berth.Bench;

internal static class Stats
{
    /// <summary>Nearest-rank percentile: a value that was actually measured, never an interpolation.</summary>
    public static double Percentile(IReadOnlyCollection<double> samples, double p)
    {
        if (samples.Count == 0)
        {
            throw new InvalidOperationException("No samples.");
        }
        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Median(IReadOnlyCollection<double> samples) => Percentile(samples, 50);

    public static string Ms(double milliseconds) => milliseconds switch
    {
        < 10 => milliseconds.ToString("0.00", CultureInfo.InvariantCulture) + " ms",
        < 100 => milliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms",
        _ => milliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms",
    };

    public static string Rate(double perSecond) => perSecond.ToString("N0", CultureInfo.InvariantCulture) + " req/s";
}
