using System.Net;
using Berth.Core.Engine;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace Berth.Docker.Terminal;

/// <summary>
/// Terminals as Docker TTY execs. Docker cannot kill an exec, and the PID it reports is the host's, so
/// every process of a session carries a marker in its environment (children inherit it); ending a
/// session is a second exec that signals every process with that marker.
/// </summary>
internal sealed class DockerTerminal(DockerConnection docker, IContainerEngine engine, ILogger<DockerTerminal> logger) : IContainerTerminal
{
    public const string SessionVariable = "BERTH_TTY_SESSION";

    /// <summary>
    /// Finds the session's processes by the marker (<c>$1</c> is the session id, passed as an argument,
    /// so that this script's own processes never carry it), hangs them up, and kills what is left.
    /// </summary>
    private const string KillScript = """
        m="BERTH_TTY_SESSION=$1"
        marked() {
          for d in /proc/[0-9]*; do
            if tr '\0' '\n' < "$d/environ" 2>/dev/null | grep -qxF "$m"; then printf '%s ' "${d#/proc/}"; fi
          done
        }
        p=$(marked)
        [ -z "$p" ] && exit 0
        kill -HUP $p 2>/dev/null
        i=0
        while [ $i -lt 20 ]; do
          sleep 0.1 2>/dev/null || sleep 1
          p=$(marked)
          [ -z "$p" ] && exit 0
          i=$((i+1))
        done
        kill -KILL $p 2>/dev/null
        exit 0
        """;

    private const int InitialResizeAttempts = 10;
    private static readonly TimeSpan s_initialResizeDelay = TimeSpan.FromMilliseconds(50);

    public async Task<ITerminalSession?> OpenAsync(Guid containerId, TerminalSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var observation = await engine.ObserveAsync(containerId, cancellationToken).ConfigureAwait(false);
        var replica = observation.Replicas
            .Where(r => r.State == ReplicaState.Running)
            .OrderBy(r => r.Index)
            .FirstOrDefault();
        if (replica is null)
        {
            return null;
        }

        var sessionId = Guid.NewGuid().ToString("N");
        var created = await docker.CallAsync("create a terminal exec", (client, ct) => client.Exec.CreateContainerExecAsync(replica.EngineId,
            new ContainerExecCreateParameters
            {
                Cmd = [.. spec.Command],
                Env = [$"{SessionVariable}={sessionId}", "TERM=xterm"],
                TTY = true,
                AttachStdin = true,
                AttachStdout = true,
                AttachStderr = true,
            }, ct), cancellationToken, HttpStatusCode.NotFound, HttpStatusCode.Conflict).ConfigureAwait(false);
        if (created is null)
        {
            // The replica stopped or went away since it was observed.
            return null;
        }

        var stream = await docker.CallAsync("start a terminal exec", (client, ct) => client.Exec.StartContainerExecAsync(created.ID,
            new ContainerExecStartParameters { TTY = true, Detach = false }, ct), cancellationToken).ConfigureAwait(false)
            ?? throw new EngineUnavailableException("Docker engine returned no stream for the terminal exec.");
        var session = new DockerTerminalSession(this, docker, replica.EngineId, created.ID, stream, sessionId, replica.Index);
        TerminalLog.Opened(logger, sessionId, ReplicaLabels.Short(replica.EngineId), containerId);
        try
        {
            await ResizeWhenStartedAsync(session, spec.Columns, spec.Rows, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await session.KillAsync(CancellationToken.None).ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return session;
    }

    /// <summary>
    /// An exec can only be resized once its process runs, which may be a moment after start answered.
    /// A size that cannot be set is not worth failing the session for: the shell works, only wrapped
    /// differently, and a program that failed to start shows its error on the screen.
    /// </summary>
    private async Task ResizeWhenStartedAsync(DockerTerminalSession session, int columns, int rows, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= InitialResizeAttempts; attempt++)
        {
            try
            {
                await session.ResizeAsync(columns, rows, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (EngineUnavailableException e)
            {
                TerminalLog.ResizeRetry(logger, session.Id, e.Message);
                await Task.Delay(s_initialResizeDelay, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    internal async Task KillAsync(string engineId, string sessionId, CancellationToken cancellationToken)
    {
        var killer = await docker.CallAsync("create a terminal kill exec", (client, ct) => client.Exec.CreateContainerExecAsync(engineId,
            new ContainerExecCreateParameters
            {
                Cmd = ["/bin/sh", "-c", KillScript, "berth-tty-kill", sessionId],
                AttachStdout = true,
                AttachStderr = true,
            }, ct), cancellationToken, HttpStatusCode.NotFound, HttpStatusCode.Conflict).ConfigureAwait(false);
        if (killer is null)
        {
            // The replica is gone or stopped, and its processes with it.
            return;
        }
        await docker.CallAsync("run a terminal kill exec", async (client, ct) =>
        {
            using var output = await client.Exec.StartContainerExecAsync(killer.ID, new ContainerExecStartParameters(), ct).ConfigureAwait(false);
            // The stream ends when the script does: that is the moment the session's processes are gone.
            await output.ReadOutputToEndAsync(ct).ConfigureAwait(false);
        }, cancellationToken, HttpStatusCode.NotFound, HttpStatusCode.Conflict).ConfigureAwait(false);
        TerminalLog.Killed(logger, sessionId);
    }
}

internal static partial class TerminalLog
{
    [LoggerMessage(101, LogLevel.Information, "Terminal session {SessionId} opened in replica {EngineId} of container {ContainerId}")]
    public static partial void Opened(ILogger logger, string sessionId, string engineId, Guid containerId);

    [LoggerMessage(102, LogLevel.Debug, "Terminal session {SessionId} could not be resized: {Reason}")]
    public static partial void ResizeRetry(ILogger logger, string sessionId, string reason);

    [LoggerMessage(103, LogLevel.Debug, "Terminal session {SessionId}: processes ended")]
    public static partial void Killed(ILogger logger, string sessionId);
}
