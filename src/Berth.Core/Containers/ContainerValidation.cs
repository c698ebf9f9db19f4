using System.Text.RegularExpressions;
using Berth.Core.Errors;

namespace Berth.Core.Containers;

/// <summary>The rules every container field must meet, shared by create and update.</summary>
public static partial class ContainerValidation
{
    public const double MinCpuCores = 0.1;
    public const double MaxCpuCores = 64;
    public const int MinMemoryMb = 16;
    public const int MaxMemoryMb = 262_144;
    public const int MinDiskGb = 18;
    public const int MaxDiskGb = 32;
    public const int MaxReplicas = 20;
    public const int MaxEnvVars = 200;
    public const int MaxEnvValueLength = 32_768;
    public const int MaxCommandParts = 100;
    public const int MaxDomains = 20;
    public const int MaxVolumes = 10;
    public const int MaxHealthIntervalSeconds = 3600;
    public const int MaxHealthTimeoutSeconds = 60;
    public const int MaxHealthyThreshold = 10;
    public const int MaxStartWindowSeconds = 3600;

    // RFC 1123 label: lowercase letters, digits and inner hyphens, at most 63 characters.
    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();

    // The reference grammar of the distribution spec: [registry[:port]/]path[:tag][@digest].
    [GeneratedRegex(
        @"^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)/)?" +
        @"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*" +
        @"(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$",
        RegexOptions.CultureInvariant)]
    private static partial Regex ImageReference();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvKey();

    [GeneratedRegex(@"^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,1023}$", RegexOptions.CultureInvariant)]
    private static partial Regex HttpPath();

    [GeneratedRegex(@"^/[A-Za-z0-9._/-]{1,255}$", RegexOptions.CultureInvariant)]
    private static partial Regex MountPath();

    public static bool IsDnsLabel(string? value) => value is not null && DnsLabel().IsMatch(value);

    /// <summary>A fully qualified host name: at least two DNS labels, lowercase, at most 253 characters.</summary>
    public static bool IsDomain(string? value) =>
        value is { Length: > 0 and <= 253 } && value.Contains('.', StringComparison.Ordinal)
        && value.Split('.').All(IsDnsLabel);

    public static bool IsImageReference(string? value) =>
        value is { Length: > 0 and <= 255 } && ImageReference().IsMatch(value);

    /// <summary>Validates a create request and fills in defaults; throws one VALIDATION_ERROR naming every bad field.</summary>
    public static CreateContainerRequest ValidateCreate(CreateContainerRequest request, string defaultImage)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrEmpty(request.Hostname))
        {
            errors.Add("hostname", "is required");
        }
        else if (!IsDnsLabel(request.Hostname))
        {
            errors.Add("hostname", "must be a DNS label: 1-63 lowercase letters, digits or inner hyphens");
        }
        Check(errors, request.Image, request.Command, request.Env, request.Port, request.Replicas,
            request.CpuCores, request.MemoryMb, request.DiskGb);
        CheckRouting(errors, request.HealthCheck, request.Domains, request.Volumes);
        errors.ThrowIfAny();

        var config = new ContainerConfig
        {
            Image = request.Image ?? defaultImage,
            Command = request.Command,
            Env = request.Env ?? [],
            Port = request.Port,
            Replicas = request.Replicas ?? 1,
            CpuCores = request.CpuCores ?? 1,
            MemoryMb = request.MemoryMb ?? 512,
            DiskGb = request.DiskGb ?? MinDiskGb,
            HealthCheck = request.HealthCheck,
            Domains = request.Domains ?? [],
            Volumes = request.Volumes ?? [],
        };
        ValidateConfig(config);
        return request with
        {
            Image = config.Image,
            Env = config.Env,
            Replicas = config.Replicas,
            CpuCores = config.CpuCores,
            MemoryMb = config.MemoryMb,
            DiskGb = config.DiskGb,
            Domains = config.Domains,
            Volumes = config.Volumes,
        };
    }

    public static void ValidateUpdate(UpdateContainerRequest request)
    {
        var errors = new FieldErrors();
        Check(errors, request.Image, request.Command, request.Env, request.Port, request.Replicas,
            request.CpuCores, request.MemoryMb, request.DiskGb);
        CheckRouting(errors, request.HealthCheck, request.Domains, request.Volumes);
        errors.ThrowIfAny();
    }

    /// <summary>The rules between fields, checked on the whole configuration a create or a PATCH leads to.</summary>
    public static void ValidateConfig(ContainerConfig config)
    {
        var errors = new FieldErrors();
        if (config.Port is null && config.Domains.Count > 0)
        {
            errors.Add("domains", "need a port: the ingress forwards a domain's requests to the container's port");
        }
        if (config.HealthCheck is { } check)
        {
            if (config.Port is null)
            {
                errors.Add("health_check", "needs a port: Berth probes the replicas through their published port");
            }
            else if (check.Port is { } probed && probed != config.Port)
            {
                errors.Add("health_check.port", $"must be the container's port ({config.Port}), the one Berth publishes");
            }
        }
        errors.ThrowIfAny();
    }

    private static void Check(
        FieldErrors errors, string? image, IReadOnlyList<string>? command, IReadOnlyList<EnvVar>? env,
        int? port, int? replicas, double? cpuCores, int? memoryMb, int? diskGb)
    {
        if (image is not null && !IsImageReference(image))
        {
            errors.Add("image", "must be an image reference such as 'nginx:1.27' or 'registry:5000/team/app@sha256:...'");
        }
        if (command is not null)
        {
            if (command.Count is 0 or > MaxCommandParts)
            {
                errors.Add("command", $"must have 1 to {MaxCommandParts} parts");
            }
            else if (command.Any(part => part is null || part.Contains('\0', StringComparison.Ordinal)))
            {
                errors.Add("command", "parts must be strings without NUL characters");
            }
        }
        if (env is not null)
        {
            CheckEnv(errors, env);
        }
        if (port is < 1 or > 65535)
        {
            errors.Add("port", "must be from 1 to 65535");
        }
        if (replicas is < 1 or > MaxReplicas)
        {
            errors.Add("replicas", $"must be from 1 to {MaxReplicas}");
        }
        if (cpuCores is { } cpu && (double.IsNaN(cpu) || cpu < MinCpuCores || cpu > MaxCpuCores))
        {
            errors.Add("cpu_cores", $"must be from {MinCpuCores} to {MaxCpuCores}");
        }
        if (memoryMb is < MinMemoryMb or > MaxMemoryMb)
        {
            errors.Add("memory_mb", $"must be from {MinMemoryMb} to {MaxMemoryMb}");
        }
        if (diskGb is < MinDiskGb or > MaxDiskGb)
        {
            errors.Add("disk_gb", $"must be from {MinDiskGb} to {MaxDiskGb}");
        }
    }

    private static void CheckRouting(
        FieldErrors errors, HealthCheck? check, IReadOnlyList<string>? domains, IReadOnlyList<VolumeMount>? volumes)
    {
        if (check is not null)
        {
            if (check.Path is null || !HttpPath().IsMatch(check.Path))
            {
                errors.Add("health_check.path", "must be an absolute URL path such as '/health'");
            }
            if (check.Port is < 1 or > 65535)
            {
                errors.Add("health_check.port", "must be from 1 to 65535");
            }
            if (check.IntervalSeconds is < 1 or > MaxHealthIntervalSeconds)
            {
                errors.Add("health_check.interval", $"must be from 1 to {MaxHealthIntervalSeconds} seconds");
            }
            if (check.TimeoutSeconds is < 1 or > MaxHealthTimeoutSeconds)
            {
                errors.Add("health_check.timeout", $"must be from 1 to {MaxHealthTimeoutSeconds} seconds");
            }
            if (check.HealthyThreshold is < 1 or > MaxHealthyThreshold)
            {
                errors.Add("health_check.healthy_threshold", $"must be from 1 to {MaxHealthyThreshold}");
            }
            if (check.StartWindowSeconds is < 1 or > MaxStartWindowSeconds)
            {
                errors.Add("health_check.start_window", $"must be from 1 to {MaxStartWindowSeconds} seconds");
            }
        }
        if (domains is not null)
        {
            if (domains.Count > MaxDomains)
            {
                errors.Add("domains", $"must have at most {MaxDomains} entries");
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < domains.Count && i < MaxDomains; i++)
            {
                if (!IsDomain(domains[i]))
                {
                    errors.Add($"domains[{i}]", "must be a host name such as 'app.example.com': lowercase DNS labels joined by dots");
                }
                else if (!seen.Add(domains[i]))
                {
                    errors.Add($"domains[{i}]", $"'{domains[i]}' appears more than once");
                }
            }
        }
        if (volumes is not null)
        {
            if (volumes.Count > MaxVolumes)
            {
                errors.Add("volumes", $"must have at most {MaxVolumes} entries");
            }
            var names = new HashSet<string>(StringComparer.Ordinal);
            var paths = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < volumes.Count && i < MaxVolumes; i++)
            {
                var volume = volumes[i];
                if (volume is null || !IsDnsLabel(volume.Name))
                {
                    errors.Add($"volumes[{i}].name", "must be a DNS label: 1-63 lowercase letters, digits or inner hyphens");
                }
                else if (!names.Add(volume.Name))
                {
                    errors.Add($"volumes[{i}].name", $"'{volume.Name}' appears more than once");
                }
                if (volume?.Path is not { } path || !MountPath().IsMatch(path)
                    || path.Split('/').Any(part => part is "." or ".."))
                {
                    errors.Add($"volumes[{i}].path", "must be an absolute path inside the container such as '/data', without '.' or '..'");
                }
                else if (!paths.Add(path.TrimEnd('/')))
                {
                    errors.Add($"volumes[{i}].path", $"'{path}' is mounted more than once");
                }
            }
        }
    }

    private static void CheckEnv(FieldErrors errors, IReadOnlyList<EnvVar> env)
    {
        if (env.Count > MaxEnvVars)
        {
            errors.Add("env", $"must have at most {MaxEnvVars} entries");
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < env.Count; i++)
        {
            var variable = env[i];
            if (variable is null || string.IsNullOrEmpty(variable.Key) || !EnvKey().IsMatch(variable.Key))
            {
                errors.Add($"env[{i}].key", "must start with a letter or '_' and hold only letters, digits and '_'");
            }
            else if (!seen.Add(variable.Key))
            {
                errors.Add($"env[{i}].key", $"'{variable.Key}' appears more than once");
            }
            if (variable?.Value is null)
            {
                errors.Add($"env[{i}].value", "is required");
            }
            else if (variable.Value.Length > MaxEnvValueLength || variable.Value.Contains('\0', StringComparison.Ordinal))
            {
                errors.Add($"env[{i}].value", $"must be at most {MaxEnvValueLength} characters without NUL");
            }
        }
    }
}
