using System.Buffers;
using System.Net;
using Berth.Core.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Options;

namespace Berth.Docker;

/// <summary><see cref="IContainerExec"/> on one Docker host: an exec with stdout and stderr attached, demultiplexed.</summary>
internal sealed class DockerExec(DockerConnection docker, IOptions<DockerEngineOptions> options) : IContainerExec
{
    private const int BufferSize = 16 * 1024;

    /// <summary>The output ends a moment before the engine records the exit code.</summary>
    private static readonly TimeSpan ExitCodeWait = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan ExitCodePoll = TimeSpan.FromMilliseconds(50);

    private readonly string _instanceId = options.Value.InstanceId;

    public async Task<int?> RunAsync(
        Guid containerId,
        ExecRequest request,
        Func<OutputStream, ReadOnlyMemory<byte>, ValueTask> output,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        var replica = await FirstRunningReplicaAsync(containerId, cancellationToken).ConfigureAwait(false)
            ?? throw new NoRunningReplicaException(containerId);

        var created = await docker.CallAsync("create an exec", (client, ct) => client.Exec.CreateContainerExecAsync(replica,
            new ContainerExecCreateParameters
            {
                AttachStdout = true,
                AttachStderr = true,
                Cmd = [.. request.Argv],
                Env = [.. request.Env.Select(e => $"{e.Key}={e.Value}")],
                WorkingDir = request.WorkingDir ?? "",
            }, ct), cancellationToken, HttpStatusCode.NotFound, HttpStatusCode.Conflict).ConfigureAwait(false)
            ?? throw new NoRunningReplicaException(containerId);

        using (var stream = await docker.CallAsync("start an exec", (client, ct) =>
            client.Exec.StartContainerExecAsync(created.ID, new ContainerExecStartParameters { Detach = false }, ct), cancellationToken)
            .ConfigureAwait(false))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                while (true)
                {
                    var read = await ReadAsync(stream!, buffer, cancellationToken).ConfigureAwait(false);
                    if (read.EOF)
                    {
                        break;
                    }
                    if (read.Count > 0 && read.Target is MultiplexedStream.TargetStream.StandardOut or MultiplexedStream.TargetStream.StandardError)
                    {
                        var which = read.Target == MultiplexedStream.TargetStream.StandardOut ? OutputStream.Stdout : OutputStream.Stderr;
                        await output(which, buffer.AsMemory(0, read.Count)).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        return await ExitCodeAsync(created.ID, cancellationToken).ConfigureAwait(false);
    }

    private async Task<MultiplexedStream.ReadResult> ReadAsync(MultiplexedStream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (docker.Translate("read an exec's output", e, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    private async Task<int?> ExitCodeAsync(string execId, CancellationToken cancellationToken)
    {
        var deadline = TimeProvider.System.GetUtcNow() + ExitCodeWait;
        while (true)
        {
            var inspected = await docker.CallAsync("inspect an exec", (client, ct) => client.Exec.InspectContainerExecAsync(execId, ct),
                cancellationToken).ConfigureAwait(false);
            if (inspected is { Running: false } || TimeProvider.System.GetUtcNow() >= deadline)
            {
                return inspected is { Running: false, ExitCode: { } code } ? (int)code : null;
            }
            await Task.Delay(ExitCodePoll, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<string?> FirstRunningReplicaAsync(Guid containerId, CancellationToken cancellationToken)
    {
        var filters = ReplicaLabels.Filter(_instanceId, containerId);
        filters["status"] = new Dictionary<string, bool>(StringComparer.Ordinal) { ["running"] = true };
        var running = await docker.CallAsync("list replicas", (client, ct) => client.Containers.ListContainersAsync(
            new ContainersListParameters { All = false, Filters = filters }, ct), cancellationToken).ConfigureAwait(false);
        return running?
            .OrderBy(c => ReplicaLabels.Index(c.Labels) ?? int.MaxValue)
            .Select(c => c.ID)
            .FirstOrDefault();
    }
}
