using System.Globalization;
using System.Text;

namespace Berth.Core.Logs;

/// <summary>
/// The on-disk form of one replica's lines: one line per log line,
/// <c>2025-01-31T12:00:00.1234567Z o text</c> (<c>o</c> stdout, <c>e</c> stderr), UTF-8. A fixed-width
/// time first keeps lines parseable from either end, so a tail reads the file backwards.
/// </summary>
internal static class LogFile
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";
    private const int TimeLength = 28;
    private const int TextStart = TimeLength + 3;

    /// <summary>Docker splits longer lines too; a cap keeps a runaway line from filling memory.</summary>
    public const int MaxTextLength = 16 * 1024;

    public static byte[] Encode(ReplicaLogLine line)
    {
        var text = line.Text.Length > MaxTextLength ? line.Text[..MaxTextLength] : line.Text;
        var time = line.Time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);
        return Encoding.UTF8.GetBytes($"{time} {(line.Stream == LogStream.Stderr ? 'e' : 'o')} {text.Replace('\n', ' ')}\n");
    }

    /// <summary>One stored line (without its newline), or null when it is not one (a torn write).</summary>
    public static ReplicaLogLine? Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < TextStart - 1 || bytes[TimeLength] != (byte)' ')
        {
            return null;
        }
        Span<char> time = stackalloc char[TimeLength];
        for (var i = 0; i < TimeLength; i++)
        {
            time[i] = (char)bytes[i];
        }
        if (!DateTime.TryParseExact(time, TimeFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return null;
        }
        var stream = bytes[TimeLength + 1] switch
        {
            (byte)'o' => LogStream.Stdout,
            (byte)'e' => LogStream.Stderr,
            _ => (LogStream?)null,
        };
        if (stream is null)
        {
            return null;
        }
        var text = bytes.Length > TextStart ? Encoding.UTF8.GetString(bytes[TextStart..]) : "";
        return new ReplicaLogLine(new DateTimeOffset(parsed, TimeSpan.Zero), stream.Value, text);
    }

    /// <summary>The lines of the first <paramref name="length"/> bytes of a file, oldest first.</summary>
    public static IEnumerable<ReplicaLogLine> ReadForward(string path, long length)
    {
        using var stream = OpenRead(path);
        if (stream is null)
        {
            yield break;
        }
        var remaining = Math.Min(length, stream.Length);
        var buffer = new byte[64 * 1024];
        var pending = new List<byte>();
        while (remaining > 0)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
            if (read == 0)
            {
                break;
            }
            remaining -= read;
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    continue;
                }
                ReplicaLogLine? line;
                if (pending.Count > 0)
                {
                    pending.AddRange(buffer.AsSpan(start, i - start));
                    line = Decode(pending.ToArray());
                    pending.Clear();
                }
                else
                {
                    line = Decode(buffer.AsSpan(start, i - start));
                }
                start = i + 1;
                if (line is not null)
                {
                    yield return line;
                }
            }
            pending.AddRange(buffer.AsSpan(start, read - start));
        }
        if (pending.Count > 0 && Decode(pending.ToArray()) is { } last)
        {
            yield return last;
        }
    }

    /// <summary>The lines of the first <paramref name="length"/> bytes of a file, newest first, reading from the end.</summary>
    public static IEnumerable<ReplicaLogLine> ReadBackward(string path, long length)
    {
        using var stream = OpenRead(path);
        if (stream is null)
        {
            yield break;
        }
        var position = Math.Min(length, stream.Length);
        byte[] carry = [];
        while (position > 0)
        {
            var size = (int)Math.Min(64 * 1024, position);
            position -= size;
            var chunk = new byte[size + carry.Length];
            stream.Position = position;
            stream.ReadExactly(chunk, 0, size);
            carry.CopyTo(chunk, size);
            var end = chunk.Length;
            for (var i = chunk.Length - 1; i >= 0; i--)
            {
                if (chunk[i] != (byte)'\n')
                {
                    continue;
                }
                if (end > i + 1 && Decode(chunk.AsSpan(i + 1, end - i - 1)) is { } line)
                {
                    yield return line;
                }
                end = i;
            }
            carry = chunk[..end];
        }
        if (carry.Length > 0 && Decode(carry) is { } first)
        {
            yield return first;
        }
    }

    private static FileStream? OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Rotated or swept away since the snapshot: those lines are gone.
            return null;
        }
    }
}
