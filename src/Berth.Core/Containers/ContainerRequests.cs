namespace Berth.Core.Containers;

/// <summary>The fields a client may send to create a container; null means "use the default".</summary>
public sealed record CreateContainerRequest
{
    public string? Hostname { get; init; }
    public string? Image { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public IReadOnlyList<EnvVar>? Env { get; init; }
    public int? Port { get; init; }
    public int? Replicas { get; init; }
    public double? CpuCores { get; init; }
    public int? MemoryMb { get; init; }
    public int? DiskGb { get; init; }
    public HealthCheck? HealthCheck { get; init; }
    public IReadOnlyList<string>? Domains { get; init; }
    public IReadOnlyList<VolumeMount>? Volumes { get; init; }

    /// <summary>The project to create the container in; the caller needs its <c>create</c> permission there.</summary>
    public Guid? ProjectId { get; init; }
}

/// <summary>
/// A configuration change (PATCH); null fields stay as they are. <see cref="RemoveHealthCheck"/> is how
/// a client says "no health check any more", since null means "unchanged".
/// </summary>
public sealed record UpdateContainerRequest
{
    public string? Image { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public IReadOnlyList<EnvVar>? Env { get; init; }
    public int? Port { get; init; }
    public int? Replicas { get; init; }
    public double? CpuCores { get; init; }
    public int? MemoryMb { get; init; }
    public int? DiskGb { get; init; }
    public HealthCheck? HealthCheck { get; init; }
    public bool RemoveHealthCheck { get; init; }
    public IReadOnlyList<string>? Domains { get; init; }
    public IReadOnlyList<VolumeMount>? Volumes { get; init; }

    /// <summary>
    /// <paramref name="current"/> with this change applied. A secret sent back as <c>***</c> (as every
    /// read shows it) keeps the value it had, so a client can round-trip the env it read.
    /// </summary>
    public ContainerConfig ApplyTo(ContainerConfig current) => current with
    {
        Image = Image ?? current.Image,
        Command = Command ?? current.Command,
        Env = Env is null ? current.Env : [.. Env.Select(e => KeepMaskedSecret(e, current.Env))],
        Port = Port ?? current.Port,
        Replicas = Replicas ?? current.Replicas,
        CpuCores = CpuCores ?? current.CpuCores,
        MemoryMb = MemoryMb ?? current.MemoryMb,
        DiskGb = DiskGb ?? current.DiskGb,
        HealthCheck = RemoveHealthCheck ? null : HealthCheck ?? current.HealthCheck,
        Domains = Domains ?? current.Domains,
        Volumes = Volumes ?? current.Volumes,
    };

    private static EnvVar KeepMaskedSecret(EnvVar sent, IReadOnlyList<EnvVar> current) =>
        sent.Value == EnvVar.Masked && current.FirstOrDefault(e => e.Key == sent.Key && e.Secret) is { } kept
            ? kept with { Secret = true }
            : sent;
}
