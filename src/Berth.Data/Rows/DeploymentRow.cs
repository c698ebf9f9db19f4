using Berth.Core.Deployments;

namespace Berth.Data.Rows;

/// <summary>A stored deployment. The two configuration snapshots and the steps are JSON text (secret values encrypted).</summary>
internal sealed class DeploymentRow
{
    public Guid Id { get; set; }
    public Guid ContainerId { get; set; }
    public DeploymentStatus Status { get; set; }
    public string? PreviousImage { get; set; }
    public string NewImage { get; set; } = "";
    public string? ImageDigest { get; set; }
    public string Previous { get; set; } = "";
    public string Target { get; set; } = "";
    public int Generation { get; set; }
    public Guid? RollbackOf { get; set; }
    public string Actor { get; set; } = "";
    public DateTimeOffset TriggeredAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Reason { get; set; }
    public string Steps { get; set; } = "[]";
}
