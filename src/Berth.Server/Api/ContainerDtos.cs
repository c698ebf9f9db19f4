using System.Text.Json;
using Berth.Core.Containers;
using Berth.Core.Errors;

namespace Berth.Server.Api;

/// <summary>The ContainerRecord of the native API (snake_case on the wire).</summary>
internal sealed record ContainerRecord(
    Guid Id,
    Guid UserId,
    Guid? ProjectId,
    string EnvironmentId,
    string Hostname,
    string Image,
    IReadOnlyList<string>? Command,
    IReadOnlyList<EnvVarDto> Env,
    int? Port,
    int Replicas,
    double CpuCores,
    int MemoryMb,
    int DiskGb,
    string State,
    string? StateReason,
    string? PendingOperation,
    bool HasPendingChanges,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ObservedAt,
    DateTimeOffset? LastDeployedAt,
    DateTimeOffset? ExpiresAt)
{
    public static ContainerRecord From(Container c) => new(
        c.Id, c.UserId, c.ProjectId, c.EnvironmentId, c.Hostname, c.Image, c.Command,
        c.Env.Select(e => new EnvVarDto(e.Key, e.Value)).ToList(),
        c.Port, c.Replicas, c.CpuCores, c.MemoryMb, c.DiskGb,
        c.State.ToWire(), c.StateReason, c.PendingOperation?.ToWire(), c.HasPendingChanges,
        c.CreatedAt, c.UpdatedAt, c.ObservedAt, c.LastDeployedAt, c.ExpiresAt);
}

internal sealed record EnvVarDto(string Key, string Value);

/// <summary>One line of a container's status log, as the status-log document shapes it.</summary>
internal sealed record StatusLogRecord(
    Guid Id,
    Guid ContainerId,
    string? FromStatus,
    string ToStatus,
    DateTimeOffset TransitionTime,
    string Operation,
    string Actor,
    string? Reason,
    DateTimeOffset CreatedAt)
{
    public static StatusLogRecord From(StatusTransition t) => new(
        t.Id, t.ContainerId, t.FromStatus?.ToWire(), t.ToStatus.ToWire(), t.TransitionTime, t.Operation, t.Actor, t.Reason, t.CreatedAt);
}

/// <summary>
/// The body of create and update. <c>command</c> is an argv array, or a string run by <c>sh -c</c>;
/// it stays a <see cref="JsonElement"/> here so that a wrong type is a field error, not a parse failure.
/// </summary>
internal sealed record ContainerBody(
    string? Hostname,
    string? Image,
    JsonElement? Command,
    IReadOnlyList<EnvVarDto>? Env,
    int? Port,
    int? Replicas,
    double? CpuCores,
    int? MemoryMb,
    int? DiskGb)
{
    public CreateContainerRequest ToCreate() => new()
    {
        Hostname = Hostname,
        Image = Image,
        Command = ParseCommand(Command),
        Env = Env?.Select(e => new EnvVar(e?.Key!, e?.Value!)).ToList(),
        Port = Port,
        Replicas = Replicas,
        CpuCores = CpuCores,
        MemoryMb = MemoryMb,
        DiskGb = DiskGb,
    };

    public UpdateContainerRequest ToUpdate()
    {
        if (Hostname is not null)
        {
            throw BerthException.Validation("hostname", "cannot be changed; create a new container");
        }
        var create = ToCreate();
        return new UpdateContainerRequest
        {
            Image = create.Image,
            Command = create.Command,
            Env = create.Env,
            Port = create.Port,
            Replicas = create.Replicas,
            CpuCores = create.CpuCores,
            MemoryMb = create.MemoryMb,
            DiskGb = create.DiskGb,
        };
    }

    private static IReadOnlyList<string>? ParseCommand(JsonElement? command)
    {
        switch (command?.ValueKind)
        {
            case null or JsonValueKind.Null or JsonValueKind.Undefined:
                return null;
            case JsonValueKind.String when command.Value.GetString() is { Length: > 0 } script:
                return ["sh", "-c", script];
            case JsonValueKind.Array when command.Value.EnumerateArray().All(p => p.ValueKind == JsonValueKind.String):
                return command.Value.EnumerateArray().Select(p => p.GetString()!).ToList();
            default:
                throw BerthException.Validation("command", "must be a non-empty string (run by sh -c) or an array of strings");
        }
    }
}
