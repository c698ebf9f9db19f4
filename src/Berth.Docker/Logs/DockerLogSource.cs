using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Berth.Core.Engine;
using Berth.Core.Logs;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Berth.Docker.Logs;

/// <summary>
/// A replica's output through the engine's log endpoint (follow, with timestamps). Replicas run
/// without a TTY, so the stream is multiplexed: each frame says whether it is stdout or stderr, and a
/// line may span frames.
/// </summary>
internal sealed class DockerLogSource(DockerConnection connection) : IContainerLogSource
{
    public async IAsyncEnumerable<ReplicaLogLine> FollowAsync(
        string engineReplicaId, DateTimeOffset? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var parameters = new ContainerLogsParameters
        {
            ShowStdout = true,
            ShowStderr = true,
            Follow = true,
            Timestamps = true,
            Since = since is { } s ? UnixSeconds(s) : null,
        };
        var stream = await connection.CallAsync("read the output of a replica",
            (client, ct) => client.Containers.GetContainerLogsAsync(engineReplicaId, parameters, ct),
            cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        if (stream is null)
        {
            yield break;
        }
        using (stream)
        {
            var stdout = new LineSplitter(LogStream.Stdout);
            var stderr = new LineSplitter(LogStream.Stderr);
            var buffer = new byte[64 * 1024];
            var lines = new List<ReplicaLogLine>();
            while (true)
            {
                var read = await ReadAsync(stream, buffer, cancellationToken).ConfigureAwait(false);
                if (read.EOF)
                {
                    break;
                }
                var splitter = read.Target == MultiplexedStream.TargetStream.StandardError ? stderr : stdout;
                splitter.Push(buffer.AsSpan(0, read.Count), lines);
                foreach (var line in lines)
                {
                    yield return line;
                }
                lines.Clear();
            }
            stdout.Finish(lines);
            stderr.Finish(lines);
            foreach (var line in lines)
            {
                yield return line;
            }
        }
    }

    private async Task<MultiplexedStream.ReadResult> ReadAsync(MultiplexedStream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (connection.Translate("read the output of a replica", e, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>Docker's <c>since</c>: Unix seconds with a nanosecond fraction.</summary>
    internal static string UnixSeconds(DateTimeOffset time)
    {
        var ticks = (time - DateTimeOffset.UnixEpoch).Ticks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var fraction);
        return string.Create(CultureInfo.InvariantCulture, $"{seconds}.{fraction * 100:D9}");
    }

    /// <summary>
    /// One line as the engine sends it with timestamps: <c>2025-01-31T12:00:00.123456789Z text</c>
    /// (RFC 3339 with up to nine fraction digits, which .NET does not parse, hence by hand).
    /// </summary>
    internal static ReplicaLogLine? ParseLine(string raw, LogStream stream)
    {
        var space = raw.IndexOf(' ', StringComparison.Ordinal);
        var stamp = space < 0 ? raw : raw[..space];
        var text = space < 0 ? "" : raw[(space + 1)..];
        if (text.EndsWith('\r'))
        {
            text = text[..^1];
        }
        return TryParseTime(stamp, out var time) ? new ReplicaLogLine(time, stream, text) : null;
    }

    internal static bool TryParseTime(string stamp, out DateTimeOffset time)
    {
        time = default;
        if (stamp.Length < 20 || stamp[10] != 'T')
        {
            return false;
        }
        var zone = stamp.IndexOfAny(['Z', '+', '-'], 19);
        if (zone < 0)
        {
            return false;
        }
        var seconds = stamp[..19];
        var fraction = stamp.Length > 19 && stamp[19] == '.' ? stamp[20..zone] : "";
        var digits = (fraction + "0000000")[..7];
        if (!fraction.All(char.IsAsciiDigit))
        {
            return false;
        }
        return DateTimeOffset.TryParseExact($"{seconds}.{digits}{stamp[zone..]}", ["yyyy-MM-dd'T'HH:mm:ss.fffffffK"],
            CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out time);
    }

    /// <summary>Assembles one stream's frames into lines.</summary>
    internal sealed class LineSplitter(LogStream stream)
    {
        private const int MaxLineBytes = 64 * 1024;
        private readonly List<byte> _pending = [];

        public void Push(ReadOnlySpan<byte> bytes, List<ReplicaLogLine> lines)
        {
            while (!bytes.IsEmpty)
            {
                var newline = bytes.IndexOf((byte)'\n');
                if (newline < 0)
                {
                    _pending.AddRange(bytes);
                    // A line beyond the cap is cut: its time and stream are known, the rest is noise.
                    if (_pending.Count > MaxLineBytes)
                    {
                        Emit(lines);
                    }
                    return;
                }
                _pending.AddRange(bytes[..newline]);
                Emit(lines);
                bytes = bytes[(newline + 1)..];
            }
        }

        public void Finish(List<ReplicaLogLine> lines)
        {
            if (_pending.Count > 0)
            {
                Emit(lines);
            }
        }

        private void Emit(List<ReplicaLogLine> lines)
        {
            var raw = Encoding.UTF8.GetString([.. _pending]);
            _pending.Clear();
            if (ParseLine(raw, stream) is { } line)
            {
                lines.Add(line);
            }
        }
    }
}
