using System.Buffers;
using System.Runtime.InteropServices;
using Berth.Core.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Berth.Docker.Terminal;

/// <summary>One TTY exec: with a TTY Docker sends the raw screen bytes, not its multiplexed frames.</summary>
internal sealed class DockerTerminalSession(
    DockerTerminal terminal,
    DockerConnection docker,
    string engineId,
    string execId,
    MultiplexedStream stream,
    string id,
    int replicaIndex) : ITerminalSession
{
    private const int ExitCodeAttempts = 20;
    private static readonly TimeSpan s_exitCodeDelay = TimeSpan.FromMilliseconds(50);

    public string Id { get; } = id;

    public int ReplicaIndex { get; } = replicaIndex;

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
    {
        if (input.IsEmpty)
        {
            return;
        }
        if (MemoryMarshal.TryGetArray(input, out var segment))
        {
            await WriteCoreAsync(segment.Array!, segment.Offset, segment.Count, cancellationToken).ConfigureAwait(false);
            return;
        }
        var rented = ArrayPool<byte>.Shared.Rent(input.Length);
        try
        {
            input.CopyTo(rented);
            await WriteCoreAsync(rented, 0, input.Length, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (!MemoryMarshal.TryGetArray<byte>(buffer, out var segment))
        {
            throw new ArgumentException("The buffer must be backed by an array.", nameof(buffer));
        }
        while (true)
        {
            MultiplexedStream.ReadResult result;
            try
            {
                result = await stream.ReadOutputAsync(segment.Array!, segment.Offset, segment.Count, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (docker.Translate("read a terminal", e, cancellationToken) is { } translated)
            {
                throw translated;
            }
            if (result.EOF)
            {
                return 0;
            }
            if (result.Count > 0)
            {
                return result.Count;
            }
        }
    }

    public Task ResizeAsync(int columns, int rows, CancellationToken cancellationToken) =>
        docker.CallAsync("resize a terminal", (client, ct) => client.Exec.ResizeExecTtyAsync(execId,
            new ContainerResizeParameters { Width = columns, Height = rows }, ct), cancellationToken,
            // The exec has ended: there is no screen left to resize.
            System.Net.HttpStatusCode.NotFound);

    public async Task<int?> GetExitCodeAsync(CancellationToken cancellationToken)
    {
        // The output can end a moment before the engine records the exit.
        for (var attempt = 1; attempt <= ExitCodeAttempts; attempt++)
        {
            var inspected = await docker.CallAsync("inspect a terminal exec",
                (client, ct) => client.Exec.InspectContainerExecAsync(execId, ct), cancellationToken,
                System.Net.HttpStatusCode.NotFound).ConfigureAwait(false);
            if (inspected is null)
            {
                return null;
            }
            if (!inspected.Running)
            {
                return inspected.ExitCode is { } code ? (int)code : null;
            }
            await Task.Delay(s_exitCodeDelay, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
        return null;
    }

    public Task KillAsync(CancellationToken cancellationToken) => terminal.KillAsync(engineId, Id, cancellationToken);

    public ValueTask DisposeAsync()
    {
        stream.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task WriteCoreAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        try
        {
            await stream.WriteAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (docker.Translate("write to a terminal", e, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }
}
