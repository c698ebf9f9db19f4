using Berth.Core.Commands;

namespace Berth.Data.Rows;

internal sealed class CommandRow
{
    public Guid Id { get; set; }
    public Guid ContainerId { get; set; }
    public Guid UserId { get; set; }
    public string? Script { get; set; }

    /// <summary>JSON array of strings.</summary>
    public string Argv { get; set; } = "[]";

    /// <summary>JSON array of {key, value}.</summary>
    public string Env { get; set; } = "[]";

    public string? WorkingDir { get; set; }
    public int TimeoutSeconds { get; set; }
    public CommandStatus Status { get; set; }
    public int? ExitCode { get; set; }
    public string? Stdout { get; set; }
    public string? Stderr { get; set; }
    public bool StdoutTruncated { get; set; }
    public bool StderrTruncated { get; set; }
    public string? Reason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
}
