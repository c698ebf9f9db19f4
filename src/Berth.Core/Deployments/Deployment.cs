using Berth.Core.Containers;

namespace Berth.Core.Deployments;

public enum DeploymentStatus
{
    InProgress,
    Succeeded,
    Failed,
    RolledBack,
    Canceled,
}

/// <summary>One thing a deployment did, in order, with its time: "replica 0 healthy", "replica 1 drained".</summary>
public sealed record DeploymentStep(DateTimeOffset At, string Message);

/// <summary>
/// One rollout of a configuration to a container's replicas. It snapshots both the configuration it
/// replaces and the one it rolls out, whole (env included, secrets encrypted at rest), so that any
/// deployment can be rolled back to later. History is kept whole.
/// </summary>
public sealed record Deployment
{
    public required Guid Id { get; init; }
    public required Guid ContainerId { get; init; }
    public required DeploymentStatus Status { get; init; }
    public string? PreviousImage { get; init; }
    public required string NewImage { get; init; }

    /// <summary>The exact content <see cref="NewImage"/> named when the deploy began (a digest or image id).</summary>
    public string? ImageDigest { get; init; }

    public required ContainerConfig Previous { get; init; }
    public required ContainerConfig Target { get; init; }

    /// <summary>The replica generation this deployment's new replicas carry.</summary>
    public required int Generation { get; init; }

    /// <summary>The deployment whose snapshot this one redeploys, for a rollback.</summary>
    public Guid? RollbackOf { get; init; }

    public required string Actor { get; init; }
    public required DateTimeOffset TriggeredAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Why it ended as it did, when not plainly <c>succeeded</c>.</summary>
    public string? Reason { get; init; }

    public IReadOnlyList<DeploymentStep> Steps { get; init; } = [];

    public bool IsFinished => Status != DeploymentStatus.InProgress;
}

public static class DeploymentWireNames
{
    public static string ToWire(this DeploymentStatus status) => status switch
    {
        DeploymentStatus.InProgress => "in_progress",
        DeploymentStatus.Succeeded => "succeeded",
        DeploymentStatus.Failed => "failed",
        DeploymentStatus.RolledBack => "rolled_back",
        DeploymentStatus.Canceled => "canceled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };
}
