namespace Berth.Core.Ingress;

/// <summary>A replica that may take traffic, reached at <c>127.0.0.1:HostPort</c>.</summary>
/// <param name="ReplicaId">Names the replica in the routing table and in <see cref="IIngressRoutes.DrainAsync"/>.</param>
/// <param name="HostPort">The loopback port the replica's web port is published on.</param>
public sealed record IngressBackend(string ReplicaId, int HostPort);

/// <summary>
/// The ingress's routing table: which replicas serve the domains of each container. Deployments publish a new
/// table before they start or stop a replica, so that traffic follows them without a failed request.
/// </summary>
public interface IIngressRoutes
{
    /// <summary>
    /// Routes requests whose Host is one of <paramref name="domains"/> to <paramref name="backends"/>, balanced
    /// round-robin, replacing whatever the container had. Completes once new requests are routed by the new table.
    /// With no backends, those hosts answer 503. The domains arrive already validated, lower-cased and unique
    /// across containers.
    /// </summary>
    Task PublishAsync(Guid containerId, IReadOnlyList<string> domains, IReadOnlyList<IngressBackend> backends, CancellationToken cancellationToken);

    /// <summary>Removes the container's routes (its hosts then answer 404).</summary>
    Task RemoveAsync(Guid containerId, CancellationToken cancellationToken);

    /// <summary>
    /// Completes when no request proxied to that replica is still in flight (the caller has already published a
    /// table without it), or when <paramref name="timeout"/> passes. Used to drain a replica before stopping it,
    /// so that a stop cuts no answer short.
    /// </summary>
    Task DrainAsync(string replicaId, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>The backends currently published for a container (empty when none).</summary>
    IReadOnlyList<IngressBackend> BackendsOf(Guid containerId);
}
