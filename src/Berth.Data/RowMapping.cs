using Berth.Core.Accounts;
using Berth.Core.Containers;
using Berth.Data.Rows;

namespace Berth.Data;

/// <summary>Both directions between the immutable Core records and the mutable EF rows.</summary>
internal static class RowMapping
{
    public static ContainerRow ToRow(this Container c, ConfigCodec codec) => new()
    {
        Id = c.Id,
        UserId = c.UserId,
        ProjectId = c.ProjectId,
        EnvironmentId = c.EnvironmentId,
        Hostname = c.Hostname,
        Image = c.Image,
        Command = StoreJson.SerializeCommand(c.Command),
        Env = codec.SerializeEnv(c.Env),
        Port = c.Port,
        Replicas = c.Replicas,
        CpuCores = c.CpuCores,
        MemoryMb = c.MemoryMb,
        DiskGb = c.DiskGb,
        State = c.State,
        StateReason = c.StateReason,
        PendingOperation = c.PendingOperation,
        HealthCheck = StoreJson.SerializeHealthCheck(c.HealthCheck),
        Domains = StoreJson.SerializeStrings(c.Domains),
        Volumes = StoreJson.SerializeVolumes(c.Volumes),
        Pending = codec.SerializeConfig(c.Pending),
        ReplicaGeneration = c.ReplicaGeneration,
        CreatedAt = c.CreatedAt,
        UpdatedAt = c.UpdatedAt,
        ObservedAt = c.ObservedAt,
        LastDeployedAt = c.LastDeployedAt,
        ExpiresAt = c.ExpiresAt,
        Version = c.Version,
    };

    public static Container ToRecord(this ContainerRow r, ConfigCodec codec) => new()
    {
        Id = r.Id,
        UserId = r.UserId,
        ProjectId = r.ProjectId,
        EnvironmentId = r.EnvironmentId,
        Hostname = r.Hostname,
        Image = r.Image,
        Command = StoreJson.DeserializeCommand(r.Command),
        Env = codec.DeserializeEnv(r.Env),
        Port = r.Port,
        Replicas = r.Replicas,
        CpuCores = r.CpuCores,
        MemoryMb = r.MemoryMb,
        DiskGb = r.DiskGb,
        State = r.State,
        StateReason = r.StateReason,
        PendingOperation = r.PendingOperation,
        HealthCheck = StoreJson.DeserializeHealthCheck(r.HealthCheck),
        Domains = StoreJson.DeserializeStrings(r.Domains),
        Volumes = StoreJson.DeserializeVolumes(r.Volumes),
        Pending = codec.DeserializeConfig(r.Pending),
        ReplicaGeneration = r.ReplicaGeneration,
        CreatedAt = r.CreatedAt,
        UpdatedAt = r.UpdatedAt,
        ObservedAt = r.ObservedAt,
        LastDeployedAt = r.LastDeployedAt,
        ExpiresAt = r.ExpiresAt,
        Version = r.Version,
    };

    public static TransitionRow ToRow(this StatusTransition t) => new()
    {
        Id = t.Id,
        ContainerId = t.ContainerId,
        FromStatus = t.FromStatus,
        ToStatus = t.ToStatus,
        TransitionTime = t.TransitionTime,
        Operation = t.Operation,
        Actor = t.Actor,
        Reason = t.Reason,
        CreatedAt = t.CreatedAt,
    };

    public static StatusTransition ToRecord(this TransitionRow r) => new()
    {
        Id = r.Id,
        ContainerId = r.ContainerId,
        FromStatus = r.FromStatus,
        ToStatus = r.ToStatus,
        TransitionTime = r.TransitionTime,
        Operation = r.Operation,
        Actor = r.Actor,
        Reason = r.Reason,
        CreatedAt = r.CreatedAt,
    };

    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    public static UserRow ToRow(this User u) => new()
    {
        Id = u.Id,
        Email = u.Email,
        NormalizedEmail = NormalizeEmail(u.Email),
        Name = u.Name,
        Role = u.Role,
        Banned = u.Banned,
        CreatedAt = u.CreatedAt,
        UpdatedAt = u.UpdatedAt,
    };

    public static User ToRecord(this UserRow r) => new()
    {
        Id = r.Id,
        Email = r.Email,
        Name = r.Name,
        Role = r.Role,
        Banned = r.Banned,
        CreatedAt = r.CreatedAt,
        UpdatedAt = r.UpdatedAt,
    };

    public static TokenRow ToRow(this AccessToken t) => new()
    {
        Id = t.Id,
        UserId = t.UserId,
        Name = t.Name,
        TokenHash = t.TokenHash,
        Prefix = t.Prefix,
        ExpiresAt = t.ExpiresAt,
        CreatedAt = t.CreatedAt,
        RevokedAt = t.RevokedAt,
        Scopes = t.Scopes is { } scopes ? string.Join(' ', TokenScopes.ToNames(scopes)) : null,
    };

    public static AccessToken ToRecord(this TokenRow r) => new()
    {
        Id = r.Id,
        UserId = r.UserId,
        Name = r.Name,
        TokenHash = r.TokenHash,
        Prefix = r.Prefix,
        ExpiresAt = r.ExpiresAt,
        CreatedAt = r.CreatedAt,
        RevokedAt = r.RevokedAt,
        Scopes = r.Scopes is { } names ? ParseScopes(names) : null,
    };

    public static SessionRow ToRow(this Session s) => new()
    {
        Id = s.Id,
        UserId = s.UserId,
        SecretHash = s.SecretHash,
        CsrfTokenHash = s.CsrfTokenHash,
        CreatedAt = s.CreatedAt,
        LastUsedAt = s.LastUsedAt,
        ExpiresAt = s.ExpiresAt,
        EndedAt = s.EndedAt,
    };

    public static Session ToRecord(this SessionRow r) => new()
    {
        Id = r.Id,
        UserId = r.UserId,
        SecretHash = r.SecretHash,
        CsrfTokenHash = r.CsrfTokenHash,
        CreatedAt = r.CreatedAt,
        LastUsedAt = r.LastUsedAt,
        ExpiresAt = r.ExpiresAt,
        EndedAt = r.EndedAt,
    };

    public static RefreshTokenRow ToRow(this RefreshToken t) => new()
    {
        Id = t.Id,
        UserId = t.UserId,
        FamilyId = t.FamilyId,
        TokenHash = t.TokenHash,
        Scopes = t.Scopes is { } scopes ? string.Join(' ', TokenScopes.ToNames(scopes)) : null,
        CreatedAt = t.CreatedAt,
        ExpiresAt = t.ExpiresAt,
        UsedAt = t.UsedAt,
        RevokedAt = t.RevokedAt,
    };

    public static RefreshToken ToRecord(this RefreshTokenRow r) => new()
    {
        Id = r.Id,
        UserId = r.UserId,
        FamilyId = r.FamilyId,
        TokenHash = r.TokenHash,
        Scopes = r.Scopes is { } names ? ParseScopes(names) : null,
        CreatedAt = r.CreatedAt,
        ExpiresAt = r.ExpiresAt,
        UsedAt = r.UsedAt,
        RevokedAt = r.RevokedAt,
    };

    /// <summary>Unknown names are dropped: a token never gains access from a value this version cannot read.</summary>
    private static Scopes ParseScopes(string names)
    {
        var scopes = Berth.Core.Accounts.Scopes.None;
        foreach (var name in names.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (TokenScopes.TryParse(name, out var scope))
            {
                scopes |= scope;
            }
        }
        return scopes;
    }
}
