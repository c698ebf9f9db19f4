using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Berth.Bench;

internal sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, string Errors);

/// <summary>Runs wrk against one URL with the bench's Authorization header and reads its summary.</summary>
internal static partial class Wrk
{
    public static async Task<string> VersionAsync(string wrk, CancellationToken cancellationToken)
    {
        // `wrk -v` prints its version and usage, then exits 1.
        var (_, output) = await RunAsync(wrk, ["-v"], TimeSpan.FromSeconds(10), cancellationToken);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "unknown";
    }

    public static async Task<WrkResult> MeasureAsync(
        string wrk, string script, Uri url, int threads, int connections, int seconds, CancellationToken cancellationToken)
    {
        string[] args =
        [
            "-t", threads.ToString(CultureInfo.InvariantCulture),
            "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", $"{seconds}s",
            "--timeout", "5s",
            "--latency",
            "-s", script,
            url.ToString(),
        ];
        var (exitCode, output) = await RunAsync(wrk, args, TimeSpan.FromSeconds(seconds + 30), cancellationToken);
        if (exitCode != 0)
        {
            throw new BenchException($"wrk exited with {exitCode}: {output.Trim()}");
        }
        return Parse(output);
    }

    /// <summary>Writes the Lua script that adds the token to every request (the file is private to its owner).</summary>
    public static string WriteScript(string directory, string token) =>
        WriteHeaderScript(directory, "token", "Authorization", $"Bearer {token}");

    /// <summary>Writes a script that sends <paramref name="header"/> on every request (private to its owner: it holds a credential).</summary>
    public static string WriteHeaderScript(string directory, string name, string header, string value)
    {
        if (value.Any(c => c is '"' or '\\' or '\n' or '\r'))
        {
            throw new BenchException($"The {name} credential cannot be put in a Lua string.");
        }
        var path = Path.Combine(directory, $"auth-{name}.lua");
        File.WriteAllText(path, $"wrk.method = \"GET\"\nwrk.headers[\"{header}\"] = \"{value}\"\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>
    /// Writes a script that sends every request with <c>Host: host</c>, to measure the ingress (which routes by
    /// Host) against the same URL path on a replica's own port.
    /// </summary>
    public static string WriteHostScript(string directory, string host)
    {
        if (host.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':')))
        {
            throw new BenchException($"'{host}' is not a host name.");
        }
        var path = Path.Combine(directory, $"host-{host.Replace(':', '_')}.lua");
        File.WriteAllText(path, $"wrk.method = \"GET\"\nwrk.headers[\"Host\"] = \"{host}\"\n");
        return path;
    }

    internal static WrkResult Parse(string output)
    {
        var rate = RateRegex().Match(output);
        var p50 = PercentileRegex("50").Match(output);
        var p99 = PercentileRegex("99").Match(output);
        var requests = RequestsRegex().Match(output);
        if (!rate.Success || !p50.Success || !p99.Success || !requests.Success)
        {
            throw new BenchException($"wrk's output has no rate or latency distribution:\n{output.Trim()}");
        }
        var completed = long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture);
        if (completed == 0)
        {
            throw new BenchException("wrk completed no request: the endpoint did not answer within wrk's 5 s timeout.");
        }
        var errors = new List<string>();
        if (NonSuccessRegex().Match(output) is { Success: true } non2xx)
        {
            errors.Add($"{non2xx.Groups[1].Value} non-2xx answers");
        }
        if (SocketErrorsRegex().Match(output) is { Success: true } socket)
        {
            errors.Add($"socket errors: {socket.Groups[1].Value.Trim()}");
        }
        return new WrkResult(
            double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture),
            ToMs(p50.Groups[1].Value, p50.Groups[2].Value),
            ToMs(p99.Groups[1].Value, p99.Groups[2].Value),
            completed,
            string.Join("; ", errors));
    }

    private static double ToMs(string value, string unit)
    {
        var number = double.Parse(value, CultureInfo.InvariantCulture);
        return unit switch
        {
            "us" => number / 1000,
            "ms" => number,
            "s" => number * 1000,
            "m" => number * 60_000,
            _ => throw new BenchException($"wrk printed an unknown latency unit '{unit}'."),
        };
    }

    private static Regex PercentileRegex(string percent) =>
        new($@"^\s*{percent}(?:\.0+)?%\s+([0-9.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant);

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RateRegex();

    [GeneratedRegex(@"^\s*([0-9]+) requests in", RegexOptions.Multiline)]
    private static partial Regex RequestsRegex();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+([0-9]+)")]
    private static partial Regex NonSuccessRegex();

    [GeneratedRegex(@"Socket errors:(.*)$", RegexOptions.Multiline)]
    private static partial Regex SocketErrorsRegex();

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new BenchException($"Could not start {file}.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BenchException($"Could not start {file} ({e.Message}); install it (apt-get install wrk) or pass --wrk PATH.", e);
        }
        using (process)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout);
            var stdout = process.StandardOutput.ReadToEndAsync(limit.Token);
            var stderr = process.StandardError.ReadToEndAsync(limit.Token);
            try
            {
                await process.WaitForExitAsync(limit.Token);
                return (process.ExitCode, await stdout + await stderr);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                if (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                throw new BenchException($"{file} did not finish within {timeout.TotalSeconds:0} s.");
            }
        }
    }
}
