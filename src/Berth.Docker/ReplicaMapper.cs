using System.Globalization;
using System.Text.RegularExpressions;
using Berth.Core.Engine;
using Docker.DotNet.Models;

namespace Berth.Docker;

/// <summary>Reads Berth's view of a replica out of one line of Docker's container list.</summary>
internal static partial class ReplicaMapper
{
    /// <summary>Null for a container without a usable replica label: not something Berth can reason about.</summary>
    public static ReplicaObservation? Map(ContainerListResponse container)
    {
        if (ReplicaLabels.Index(container.Labels) is not { } index)
        {
            return null;
        }
        var state = MapState(container.State);
        return new ReplicaObservation(
            container.ID,
            index,
            state,
            ExitCode: state is ReplicaState.Exited or ReplicaState.Dead ? ParseExitCode(container.Status) : null,
            HostPort: HostPort(container.Ports),
            Generation: ReplicaLabels.GenerationOf(container.Labels));
    }

    /// <summary>The same view from an inspect, which also knows whether the OOM killer ended the replica.</summary>
    public static ReplicaObservation? Map(ContainerInspectResponse container)
    {
        if (ReplicaLabels.Index(container.Config?.Labels) is not { } index || container.State is not { } dockerState)
        {
            return null;
        }
        var state = MapState(dockerState.Status);
        var exited = state is ReplicaState.Exited or ReplicaState.Dead;
        return new ReplicaObservation(
            container.ID,
            index,
            state,
            ExitCode: exited ? (int)dockerState.ExitCode : null,
            OomKilled: exited && dockerState.OOMKilled,
            HostPort: HostPort(container.NetworkSettings?.Ports),
            Generation: ReplicaLabels.GenerationOf(container.Config?.Labels));
    }

    /// <summary>
    /// Docker's state strings. <c>removing</c> is a replica on its way out: it will not run again, so
    /// it reads as exited until it is gone.
    /// </summary>
    public static ReplicaState MapState(string? state) => state?.ToLowerInvariant() switch
    {
        "created" => ReplicaState.Created,
        "running" => ReplicaState.Running,
        "paused" => ReplicaState.Paused,
        "restarting" => ReplicaState.Restarting,
        "exited" or "removing" => ReplicaState.Exited,
        "dead" => ReplicaState.Dead,
        _ => ReplicaState.Dead,
    };

    /// <summary>The list's status text carries the exit code: <c>Exited (137) 3 seconds ago</c>.</summary>
    public static int? ParseExitCode(string? status)
    {
        if (status is null)
        {
            return null;
        }
        var match = ExitCodePattern().Match(status);
        return match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code)
            ? code
            : null;
    }

    /// <summary>The port published on loopback, as Berth publishes exactly one.</summary>
    public static int? HostPort(IList<PortSummary>? ports)
    {
        if (ports is null)
        {
            return null;
        }
        var published = ports.Where(p => p.PublicPort is > 0).ToList();
        var port = published.FirstOrDefault(p => p.IP == "127.0.0.1") ?? published.FirstOrDefault();
        return port?.PublicPort;
    }

    public static int? HostPort(IDictionary<string, IList<PortBinding>>? ports)
    {
        var bindings = ports?.Values.Where(b => b is not null).SelectMany(b => b).ToList() ?? [];
        var binding = bindings.FirstOrDefault(b => b.HostIP == "127.0.0.1") ?? bindings.FirstOrDefault();
        return int.TryParse(binding?.HostPort, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0 ? port : null;
    }

    [GeneratedRegex(@"^Exited \((-?\d+)\)", RegexOptions.CultureInvariant)]
    private static partial Regex ExitCodePattern();
}
