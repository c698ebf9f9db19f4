using Berth.Core.Containers;

namespace Berth.Core.Commands;

public enum CommandStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Canceled,
}

/// <summary>
/// One command run in a container: what was asked, and what happened. Immutable; the runner moves it
/// <c>queued → running → succeeded | failed | timed_out | canceled</c>, and a terminal status never changes.
/// </summary>
public sealed record CommandExecution
{
    public required Guid Id { get; init; }
    public required Guid ContainerId { get; init; }

    /// <summary>Who submitted it.</summary>
    public required Guid UserId { get; init; }

    /// <summary>The text of a command submitted as a string (run by <c>sh -c</c>); null for an argv submission.</summary>
    public string? Script { get; init; }

    /// <summary>The argv that runs: <c>["sh", "-c", Script]</c> for a string submission.</summary>
    public required IReadOnlyList<string> Argv { get; init; }

    public IReadOnlyList<EnvVar> Env { get; init; } = [];
    public string? WorkingDir { get; init; }
    public required int TimeoutSeconds { get; init; }

    public required CommandStatus Status { get; init; }
    public int? ExitCode { get; init; }

    /// <summary>Null when the record was read without its output (history lists).</summary>
    public string? Stdout { get; init; }

    public string? Stderr { get; init; }
    public bool StdoutTruncated { get; init; }
    public bool StderrTruncated { get; init; }

    /// <summary>Why the command did not succeed, in words for a person.</summary>
    public string? Reason { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }

    public bool IsFinished => Status.IsTerminal();
}

public static class CommandStatuses
{
    private static readonly Dictionary<CommandStatus, string> s_names = new()
    {
        [CommandStatus.Queued] = "queued",
        [CommandStatus.Running] = "running",
        [CommandStatus.Succeeded] = "succeeded",
        [CommandStatus.Failed] = "failed",
        [CommandStatus.TimedOut] = "timed_out",
        [CommandStatus.Canceled] = "canceled",
    };

    public static string ToWire(this CommandStatus status) => s_names[status];

    public static bool IsTerminal(this CommandStatus status) =>
        status is CommandStatus.Succeeded or CommandStatus.Failed or CommandStatus.TimedOut or CommandStatus.Canceled;

    /// <summary>The only moves a command makes; everything else is a bug or a lost race.</summary>
    public static bool CanMove(CommandStatus from, CommandStatus to) => (from, to) switch
    {
        (CommandStatus.Queued, CommandStatus.Running or CommandStatus.Canceled or CommandStatus.Failed) => true,
        (CommandStatus.Running, CommandStatus.Succeeded or CommandStatus.Failed or CommandStatus.TimedOut or CommandStatus.Canceled) => true,
        _ => false,
    };
}
