using System.Globalization;
using Berth.Core.Engine;
using Docker.DotNet.Models;

namespace Berth.Docker;

/// <summary>Turns a workload spec into the Docker create request of one replica, hardened by default.</summary>
internal static class ReplicaBlueprint
{
    /// <summary>
    /// Capabilities Docker grants by default that ordinary services do not need. Kept: CHOWN,
    /// DAC_OVERRIDE, FOWNER, SETUID, SETGID, KILL and NET_BIND_SERVICE, which entrypoints commonly use
    /// to fix ownership, drop root and bind low ports.
    /// </summary>
    public static readonly IReadOnlyList<string> DroppedCapabilities =
        ["NET_RAW", "MKNOD", "AUDIT_WRITE", "SETFCAP", "SYS_CHROOT", "SETPCAP", "FSETID"];

    public const string NoNewPrivileges = "no-new-privileges:true";

    /// <summary>The environment variable that tells a replica its own name.</summary>
    public const string ReplicaEnv = "BERTH_REPLICA";

    /// <summary>
    /// The create request of replica <paramref name="index"/> of <paramref name="spec"/>, labelled for
    /// <paramref name="instanceId"/>; with <paramref name="limitDisk"/>, the storage driver is asked to
    /// cap the writable layer (overlay2 on xfs with pquota, devicemapper, btrfs and zfs can).
    /// </summary>
    public static CreateContainerParameters For(WorkloadSpec spec, string instanceId, int index, bool limitDisk = false)
    {
        var memoryBytes = (long)spec.MemoryMb * 1024 * 1024;
        var name = ReplicaLabels.Name(spec.Hostname, spec.ContainerId, index, spec.Generation);
        var parameters = new CreateContainerParameters
        {
            Name = name,
            Hostname = spec.Hostname,
            Image = spec.Image,
            // The replica's own name, as Fly's FLY_MACHINE_ID: a service can tell its replicas apart.
            Env = [.. spec.Env.Select(e => $"{e.Key}={e.Value}"), $"{ReplicaEnv}={name}"],
            Labels = ReplicaLabels.For(instanceId, spec.ContainerId, spec.ProjectId, index, spec.Generation),
            HostConfig = new HostConfig
            {
                // A real init reaps zombies and forwards SIGTERM, so stop's grace period means something.
                Init = true,
                SecurityOpt = [NoNewPrivileges],
                CapDrop = [.. DroppedCapabilities],
                PidsLimit = spec.PidsLimit,
                Memory = memoryBytes,
                // Equal to Memory: no swap on top of the limit, so the limit is what the workload gets.
                MemorySwap = memoryBytes,
                NanoCPUs = (long)Math.Round(spec.CpuCores * 1_000_000_000d),
                // Berth's reconciler decides what restarts; an engine restart policy would race it.
                RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.No },
                // Named volumes only: a bind mount of a host path never comes from API input.
                Mounts = [.. spec.Volumes.Select(v => new Mount
                {
                    Type = "volume",
                    Source = ReplicaLabels.VolumeName(spec.ContainerId, v.Name),
                    Target = v.Path,
                })],
            },
        };

        if (limitDisk)
        {
            parameters.HostConfig.StorageOpt = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["size"] = string.Create(CultureInfo.InvariantCulture, $"{spec.DiskGb}G"),
            };
        }

        if (spec.Command is { Count: > 0 } command)
        {
            parameters.Cmd = [.. command];
        }

        if (spec.Port is { } port)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"{port}/tcp");
            parameters.ExposedPorts = new Dictionary<string, EmptyStruct>(StringComparer.Ordinal) { [key] = default };
            // Loopback only: traffic reaches a replica through Berth's ingress, never from the network directly.
            // An empty host port lets the engine pick a free one for each replica.
            parameters.HostConfig.PortBindings = new Dictionary<string, IList<PortBinding>>(StringComparer.Ordinal)
            {
                [key] = [new PortBinding { HostIP = "127.0.0.1", HostPort = "" }],
            };
        }

        return parameters;
    }
}
