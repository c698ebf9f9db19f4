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
    HealthCheckDto? HealthCheck,
    IReadOnlyList<string> Domains,
    IReadOnlyList<VolumeDto> Volumes,
    string State,
    string? StateReason,
    string? PendingOperation,
    bool HasPendingChanges,
    ContainerConfigRecord? Pending,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ObservedAt,
    DateTimeOffset? LastDeployedAt,
    DateTimeOffset? ExpiresAt)
{
    public static ContainerRecord From(Container c) => new(
        c.Id, c.UserId, c.ProjectId, c.EnvironmentId, c.Hostname, c.Image, c.Command,
        EnvVarDto.Visible(c.Env),
        c.Port, c.Replicas, c.CpuCores, c.MemoryMb, c.DiskGb,
        HealthCheckDto.From(c.HealthCheck), c.Domains, VolumeDto.From(c.Volumes),
        c.State.ToWire(), c.StateReason, c.PendingOperation?.ToWire(), c.HasPendingChanges,
        c.Pending is null ? null : ContainerConfigRecord.From(c.Pending),
        c.CreatedAt, c.UpdatedAt, c.ObservedAt, c.LastDeployedAt, c.ExpiresAt);
}

/// <summary>A whole configuration as clients see it (secrets masked): a pending change, or a deployment's snapshot.</summary>
internal sealed record ContainerConfigRecord(
    string Image,
    IReadOnlyList<string>? Command,
    IReadOnlyList<EnvVarDto> Env,
    int? Port,
    int Replicas,
    double CpuCores,
    int MemoryMb,
    int DiskGb,
    HealthCheckDto? HealthCheck,
    IReadOnlyList<string> Domains,
    IReadOnlyList<VolumeDto> Volumes)
{
    public static ContainerConfigRecord From(ContainerConfig c) => new(
        c.Image, c.Command, EnvVarDto.Visible(c.Env), c.Port, c.Replicas, c.CpuCores, c.MemoryMb, c.DiskGb,
        HealthCheckDto.From(c.HealthCheck), c.Domains, VolumeDto.From(c.Volumes));
}

/// <summary>One env entry on the wire; a secret's value is always <c>***</c> on the way out.</summary>
internal sealed record EnvVarDto(string Key, string Value, bool? Secret = null)
{
    public static List<EnvVarDto> Visible(IReadOnlyList<EnvVar> env) =>
        [.. env.Select(e => new EnvVarDto(e.Key, e.VisibleValue, e.Secret))];
}

/// <summary>The health check on the wire; intervals and windows in seconds, as the Hanzo document has them.</summary>
internal sealed record HealthCheckDto(string? Path, int? Port, int? Interval, int? Timeout, int? HealthyThreshold, int? StartWindow)
{
    public static HealthCheckDto? From(HealthCheck? h) =>
        h is null ? null : new(h.Path, h.Port, h.IntervalSeconds, h.TimeoutSeconds, h.HealthyThreshold, h.StartWindowSeconds);

    public HealthCheck ToCore()
    {
        var defaults = new HealthCheck { Path = "/" };
        return new HealthCheck
        {
            Path = Path!,
            Port = Port,
            IntervalSeconds = Interval ?? defaults.IntervalSeconds,
            TimeoutSeconds = Timeout ?? defaults.TimeoutSeconds,
            HealthyThreshold = HealthyThreshold ?? defaults.HealthyThreshold,
            StartWindowSeconds = StartWindow ?? defaults.StartWindowSeconds,
        };
    }
}

internal sealed record VolumeDto(string Name, string Path)
{
    public static List<VolumeDto> From(IReadOnlyList<VolumeMount> volumes) => [.. volumes.Select(v => new VolumeDto(v.Name, v.Path))];
}

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
    int? DiskGb,
    JsonElement? HealthCheck,
    IReadOnlyList<string>? Domains,
    IReadOnlyList<VolumeDto>? Volumes,
    Guid? ProjectId = null)
{
    public CreateContainerRequest ToCreate() => new()
    {
        Hostname = Hostname,
        Image = Image,
        Command = ParseCommand(Command),
        Env = Env?.Select(e => new EnvVar(e?.Key!, e?.Value!, e?.Secret ?? false)).ToList(),
        Port = Port,
        Replicas = Replicas,
        CpuCores = CpuCores,
        MemoryMb = MemoryMb,
        DiskGb = DiskGb,
        HealthCheck = ParseHealthCheck(HealthCheck),
        // Host names are case-insensitive; a trailing dot names the same host.
        Domains = Domains?.Select(d => d?.Trim().TrimEnd('.').ToLowerInvariant()!).ToList(),
        Volumes = Volumes?.Select(v => new VolumeMount(v?.Name!, v?.Path!)).ToList(),
        ProjectId = ProjectId,
    };

    public UpdateContainerRequest ToUpdate()
    {
        if (Hostname is not null)
        {
            throw BerthException.Validation("hostname", "cannot be changed; create a new container");
        }
        if (ProjectId is not null)
        {
            throw BerthException.Validation("project_id", "cannot be changed; create the container in the project");
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
            HealthCheck = create.HealthCheck,
            RemoveHealthCheck = HealthCheck?.ValueKind == JsonValueKind.Null,
            Domains = create.Domains,
            Volumes = create.Volumes,
        };
    }

    private static readonly JsonSerializerOptions s_wire = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>An object, or null (absent or JSON null; PATCH reads JSON null as "remove").</summary>
    private static HealthCheck? ParseHealthCheck(JsonElement? element)
    {
        if (element is not { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } value)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw BerthException.Validation("health_check", "must be an object such as {\"path\": \"/health\", \"port\": 8080, \"interval\": 10}");
        }
        HealthCheckDto? dto;
        try
        {
            dto = value.Deserialize<HealthCheckDto>(s_wire);
        }
        catch (JsonException)
        {
            throw BerthException.Validation("health_check", "has a field of the wrong type: path is a string; port, interval, timeout, healthy_threshold and start_window are whole numbers");
        }
        if (dto?.Path is null)
        {
            throw BerthException.Validation("health_check.path", "is required");
        }
        return dto.ToCore();
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
