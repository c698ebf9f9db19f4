using System.Text;
using Docker.DotNet;

namespace Berth.Bench;

/// <summary>
/// Reads a stream of text lines to its end, handing each whole line (without its newline) to a callback
/// as soon as its last byte arrives: the moment a follow client "sees" the line.
/// </summary>
internal sealed class LineReader(Action<string> onLine)
{
    private readonly MemoryStream _partial = new();

    /// <summary>A plain HTTP body (text/plain or NDJSON alike: one line per entry).</summary>
    public async Task ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            Push(buffer.AsSpan(0, read));
        }
        Flush();
    }

    /// <summary>Docker's multiplexed output (stdout and stderr frames; a line may span frames).</summary>
    public async Task ReadAsync(MultiplexedStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken);
            if (read.EOF)
            {
                break;
            }
            Push(buffer.AsSpan(0, read.Count));
        }
        Flush();
    }

    private void Push(ReadOnlySpan<byte> chunk)
    {
        while (chunk.Length > 0)
        {
            var newline = chunk.IndexOf((byte)'\n');
            if (newline < 0)
            {
                _partial.Write(chunk);
                return;
            }
            if (_partial.Length > 0)
            {
                _partial.Write(chunk[..newline]);
                Emit(_partial.GetBuffer().AsSpan(0, (int)_partial.Length));
                _partial.SetLength(0);
            }
            else
            {
                Emit(chunk[..newline]);
            }
            chunk = chunk[(newline + 1)..];
        }
    }

    private void Flush()
    {
        if (_partial.Length > 0)
        {
            Emit(_partial.GetBuffer().AsSpan(0, (int)_partial.Length));
            _partial.SetLength(0);
        }
    }

    private void Emit(ReadOnlySpan<byte> line) => onLine(Encoding.UTF8.GetString(line.TrimEnd((byte)'\r')));
}
