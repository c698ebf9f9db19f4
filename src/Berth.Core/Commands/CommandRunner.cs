using System.Globalization;
using System.Text;
using Berth.Core.Containers;
using Berth.Core.Engine;
using Berth.Core.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Berth.Core.Commands;

/// <summary>
/// Runs one queued command to its end. The engine has no way to kill an exec'd process, so the command
/// runs under a small wrapper that records its process id in a file inside the container; a timeout or
/// a cancel kills that process group with a second exec, and the first exec then ends by itself.
/// </summary>
public sealed partial class CommandRunner(
    ICommandStore store,
    IContainerStore containers,
    IContainerExec exec,
    CommandRuns runs,
    CommandFeeds feeds,
    IOptions<CommandOptions> options,
    TimeProvider time,
    ILogger<CommandRunner> logger)
{
    /// <summary>How often a kill is repeated while the process has not ended (it may not have written its pid yet).</summary>
    internal static readonly TimeSpan KillRetryInterval = TimeSpan.FromMilliseconds(500);

    internal const int MaxKillAttempts = 20;

    private readonly CommandOptions _options = options.Value;

    /// <summary>The file inside the container that holds the wrapper's pid. Built from the id only, never from input.</summary>
    internal static string PidFile(Guid commandId) => $"/tmp/.berth-cmd-{commandId:N}.pid";

    /// <summary>
    /// The argv that runs <paramref name="command"/>: <c>sh</c> writes its pid (which is also its process
    /// group, as the engine starts every exec in a new session), runs the command's argv as its arguments,
    /// and removes the file. The command's own text never becomes part of a script.
    /// </summary>
    internal static IReadOnlyList<string> Wrap(CommandExecution command)
    {
        var pidFile = PidFile(command.Id);
        return ["sh", "-c", $"echo $$ > {pidFile}; \"$@\"; s=$?; rm -f {pidFile}; exit $s", "sh", .. command.Argv];
    }

    /// <summary>Kills the wrapper's process group (everything the command started), or the wrapper alone.</summary>
    internal static IReadOnlyList<string> KillArgv(Guid commandId)
    {
        var pidFile = PidFile(commandId);
        return ["sh", "-c", $"p=$(cat {pidFile} 2>/dev/null) && [ -n \"$p\" ] && {{ kill -KILL -$p 2>/dev/null || kill -KILL $p; }}"];
    }

    /// <summary>Runs the command if it is still queued; returns once its final record is stored.</summary>
    public async Task RunAsync(Guid commandId, CancellationToken stopping)
    {
        var run = runs.Register(commandId);
        if (run is null)
        {
            return;
        }
        try
        {
            var queued = await store.FindAsync(commandId, stopping).ConfigureAwait(false);
            if (queued is not { Status: CommandStatus.Queued })
            {
                return;
            }
            var running = queued with { Status = CommandStatus.Running, StartedAt = time.GetUtcNow() };
            if (!await store.TryUpdateAsync(running, CommandStatus.Queued, stopping).ConfigureAwait(false))
            {
                return;
            }
            feeds.Open(commandId);
            CommandExecution finished;
            try
            {
                finished = await ExecuteAsync(running, run.Cancel.Token, stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRunFailed(logger, e, commandId);
                finished = running with
                {
                    Status = CommandStatus.Failed,
                    Reason = "Berth failed while running the command",
                    FinishedAt = time.GetUtcNow(),
                    Stdout = running.Stdout ?? "",
                    Stderr = running.Stderr ?? "",
                };
            }
            // The end is stored even while the server stops: a record left running would be failed at next start.
            await store.TryUpdateAsync(finished, CommandStatus.Running, CancellationToken.None).ConfigureAwait(false);
            feeds.Complete(finished);
            LogFinished(logger, commandId, finished.Status.ToWire(), finished.ExitCode);
        }
        finally
        {
            runs.Unregister(commandId, run);
            run.MarkFinished();
        }
    }

    private async Task<CommandExecution> ExecuteAsync(CommandExecution command, CancellationToken cancel, CancellationToken stopping)
    {
        var stdout = new BoundedOutput(_options.MaxOutputBytes);
        var stderr = new BoundedOutput(_options.MaxOutputBytes);
        CommandExecution End(CommandStatus status, int? exitCode, string? reason) => command with
        {
            Status = status,
            ExitCode = exitCode,
            Reason = reason,
            FinishedAt = time.GetUtcNow(),
            Stdout = stdout.Finish(),
            Stderr = stderr.Finish(),
            StdoutTruncated = stdout.Truncated,
            StderrTruncated = stderr.Truncated,
        };

        if (cancel.IsCancellationRequested)
        {
            return End(CommandStatus.Canceled, null, "Canceled before it started");
        }
        var container = await containers.FindAsync(command.ContainerId, CancellationToken.None).ConfigureAwait(false);
        if (container is null)
        {
            return End(CommandStatus.Failed, null, "The container was deleted before the command started");
        }
        if (container.State != ContainerState.Running)
        {
            return End(CommandStatus.Failed, null, $"The container was {container.State.ToWire()} when the command was due to start");
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(command.TimeoutSeconds), time);
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancel, stopping);
        // Stops waiting for the process only when even the kill could not end it.
        using var abandon = new CancellationTokenSource();

        ValueTask Output(OutputStream stream, ReadOnlyMemory<byte> bytes)
        {
            var text = (stream == OutputStream.Stdout ? stdout : stderr).Add(bytes.Span);
            feeds.Append(command.Id, stream, text);
            return ValueTask.CompletedTask;
        }

        var request = new ExecRequest(Wrap(command), command.Env, command.WorkingDir);
        var process = exec.RunAsync(command.ContainerId, request, Output, abandon.Token);
        await Task.WhenAny(process, Task.Delay(Timeout.InfiniteTimeSpan, time, ending.Token)).ConfigureAwait(false);

        string? killedFor = null;
        if (!process.IsCompleted)
        {
            killedFor = cancel.IsCancellationRequested ? "cancel" : stopping.IsCancellationRequested ? "shutdown" : "timeout";
            LogKilling(logger, command.Id, killedFor);
            if (!await KillAsync(command, process).ConfigureAwait(false))
            {
                await abandon.CancelAsync().ConfigureAwait(false);
            }
        }

        int? exitCode;
        try
        {
            exitCode = await process.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
            return End(CommandStatus.Failed, null, "The command could not be killed inside the container; Berth stopped waiting for it");
        }
        catch (NoRunningReplicaException)
        {
            return End(CommandStatus.Failed, null, "The container has no running replica to run the command in");
        }
        catch (EngineUnavailableException e)
        {
            return End(CommandStatus.Failed, null, $"The engine failed to run the command: {e.Message}");
        }

        return killedFor switch
        {
            "cancel" => End(CommandStatus.Canceled, exitCode, "Canceled by request; the process was killed"),
            "timeout" => End(CommandStatus.TimedOut, exitCode,
                string.Create(CultureInfo.InvariantCulture, $"The command ran longer than its timeout of {command.TimeoutSeconds} s and was killed")),
            "shutdown" => End(CommandStatus.Failed, exitCode, "The Berth server shut down while the command was running; the process was killed"),
            _ when exitCode == 0 => End(CommandStatus.Succeeded, 0, null),
            _ when exitCode is { } code => End(CommandStatus.Failed, code,
                string.Create(CultureInfo.InvariantCulture, $"The command exited with code {code}")),
            _ => End(CommandStatus.Failed, null, "The engine did not report an exit code"),
        };
    }

    /// <summary>Kills until the process ends; false when it never did.</summary>
    private async Task<bool> KillAsync(CommandExecution command, Task process)
    {
        var kill = new ExecRequest(KillArgv(command.Id), [], null);
        for (var attempt = 0; attempt < MaxKillAttempts && !process.IsCompleted; attempt++)
        {
            try
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10), time);
                await exec.RunAsync(command.ContainerId, kill, static (_, _) => ValueTask.CompletedTask, limit.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is EngineUnavailableException or NoRunningReplicaException or OperationCanceledException)
            {
                LogKillFailed(logger, command.Id, e.Message);
            }
            try
            {
                await process.WaitAsync(KillRetryInterval, time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Not ended yet: the wrapper may not have written its pid when the first kill looked.
            }
            catch (Exception)
            {
                // The process task failed; it has ended, and the caller reads why.
            }
        }
        return process.IsCompleted;
    }

    /// <summary>One output stream: the first N bytes as text, and whether more came.</summary>
    private sealed class BoundedOutput(int maxBytes)
    {
        private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();
        private readonly StringBuilder _text = new();
        private int _bytes;

        public bool Truncated { get; private set; }

        public string Add(ReadOnlySpan<byte> bytes)
        {
            var take = Math.Min(bytes.Length, maxBytes - _bytes);
            if (take < bytes.Length)
            {
                Truncated = true;
            }
            if (take <= 0)
            {
                return "";
            }
            _bytes += take;
            return Decode(bytes[..take], flush: false);
        }

        public string Finish()
        {
            Decode([], flush: true);
            return _text.ToString();
        }

        private string Decode(ReadOnlySpan<byte> bytes, bool flush)
        {
            var chars = new char[_decoder.GetCharCount(bytes, flush)];
            var count = _decoder.GetChars(bytes, chars, flush);
            var text = new string(chars, 0, count);
            _text.Append(text);
            return text;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {CommandId} finished: {Status} (exit code {ExitCode})")]
    private static partial void LogFinished(ILogger logger, Guid commandId, string status, int? exitCode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Killing command {CommandId} ({Why})")]
    private static partial void LogKilling(ILogger logger, Guid commandId, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Killing command {CommandId} failed: {Reason}")]
    private static partial void LogKillFailed(ILogger logger, Guid commandId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Running command {CommandId} failed unexpectedly")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, Guid commandId);
}
