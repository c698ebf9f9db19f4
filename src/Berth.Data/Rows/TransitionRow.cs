using Berth.Core.Containers;

namespace Berth.Data.Rows;

internal sealed class TransitionRow
{
    /// <summary>Insertion order: the stable tiebreaker of every status-log sort.</summary>
    public long Seq { get; set; }

    public Guid Id { get; set; }
    public Guid ContainerId { get; set; }
    public ContainerState? FromStatus { get; set; }
    public ContainerState ToStatus { get; set; }
    public DateTimeOffset TransitionTime { get; set; }
    public string Operation { get; set; } = "";
    public string Actor { get; set; } = "";
    public string? Reason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
