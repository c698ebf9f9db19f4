using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Berth.Core.Ingress;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Berth.Server.Ingress;

/// <summary>
/// The routing table, fed to YARP as its only configuration: one route (Hosts = the container's domains) and one
/// round-robin cluster (one destination per replica) per container. Every change builds a new immutable
/// <see cref="IProxyConfig"/>, so YARP swaps tables atomically and the request path takes no lock of ours.
/// YARP's own bookkeeping answers the two questions the contract needs: <see cref="IConfigChangeListener"/> says
/// when a table is applied, and <see cref="DestinationState.ConcurrentRequestCount"/> says what is still in flight.
/// </summary>
internal sealed partial class IngressRoutes(TimeProvider timeProvider, ILogger<IngressRoutes> logger)
    : IIngressRoutes, IProxyConfigProvider, IConfigChangeListener
{
    /// <summary>Enough for any answer a web app should give; a stream that stays silent longer is cut.</summary>
    internal static readonly TimeSpan ActivityTimeout = TimeSpan.FromSeconds(100);

    private static readonly TimeSpan s_drainPollInterval = TimeSpan.FromMilliseconds(10);

    private static readonly ForwarderRequestConfig s_requestConfig = new()
    {
        ActivityTimeout = ActivityTimeout,
        // Replicas speak plain HTTP/1.1; asking for it saves the version negotiation.
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
    };

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Entry> _entries = [];
    /// <summary>Tables handed to YARP and not yet applied, oldest first.</summary>
    private readonly List<Table> _pending = [];
    /// <summary>Replicas taken out of a table, with the states YARP counted their requests in, until drained.</summary>
    private readonly ConcurrentDictionary<string, DestinationState[]> _retired = new(StringComparer.Ordinal);
    // Each instance its own first table: a table's change token fires once, when a newer one replaces it.
    private Table _current = Table.Build(0, []);
    private IProxyStateLookup? _lookup;

    public async Task PublishAsync(
        Guid containerId, IReadOnlyList<string> domains, IReadOnlyList<IngressBackend> backends, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(domains);
        ArgumentNullException.ThrowIfNull(backends);
        var entry = new Entry(containerId, [.. domains], [.. backends]);
        var applied = Swap(containerId, entry);
        Published(logger, containerId, domains.Count, backends.Count);
        await applied.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task RemoveAsync(Guid containerId, CancellationToken cancellationToken)
    {
        var applied = Swap(containerId, null);
        Removed(logger, containerId);
        await applied.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task DrainAsync(string replicaId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replicaId);
        using var expiry = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(expiry.Token, cancellationToken);
        try
        {
            // Two idle readings in a row: a request that chose the replica just before the swap counts itself
            // a moment after it is routed, and the second reading sees it.
            var idleReadings = 0;
            while (idleReadings < 2)
            {
                idleReadings = InFlight(replicaId) == 0 ? idleReadings + 1 : 0;
                if (idleReadings < 2)
                {
                    await Task.Delay(s_drainPollInterval, timeProvider, linked.Token).ConfigureAwait(false);
                }
            }
            Drained(logger, replicaId);
        }
        catch (OperationCanceledException) when (expiry.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            DrainTimedOut(logger, replicaId, InFlight(replicaId), timeout);
        }
        finally
        {
            _retired.TryRemove(replicaId, out _);
        }
    }

    public IReadOnlyList<IngressBackend> BackendsOf(Guid containerId)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(containerId, out var entry) ? entry.Backends : [];
        }
    }

    public IProxyConfig GetConfig() => Volatile.Read(ref _current);

    /// <summary>Called by the ingress server once YARP runs: from now on, publishing waits for YARP to apply.</summary>
    internal void Attach(IProxyStateLookup lookup)
    {
        lock (_gate)
        {
            _lookup = lookup;
        }
    }

    /// <summary>Called when the ingress server stops: nothing will apply the pending tables any more.</summary>
    internal void Detach()
    {
        lock (_gate)
        {
            _lookup = null;
            CompletePending(long.MaxValue, null);
        }
    }

    void IConfigChangeListener.ConfigurationApplied(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
        if (FindTable(proxyConfigs) is { } table)
        {
            lock (_gate)
            {
                CompletePending(table.Version, null);
            }
        }
    }

    void IConfigChangeListener.ConfigurationApplyingFailed(IReadOnlyList<IProxyConfig> proxyConfigs, Exception exception)
    {
        if (FindTable(proxyConfigs) is { } table)
        {
            ApplyFailed(logger, exception, table.Version);
            lock (_gate)
            {
                CompletePending(table.Version, exception);
            }
        }
    }

    void IConfigChangeListener.ConfigurationLoaded(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
    }

    void IConfigChangeListener.ConfigurationLoadingFailed(IProxyConfigProvider configProvider, Exception exception)
    {
    }

    private static Table? FindTable(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
        foreach (var config in proxyConfigs)
        {
            if (config is Table table)
            {
                return table;
            }
        }
        return null;
    }

    /// <summary>Replaces (or removes) one container's entry and hands YARP the new table; returns when it is applied.</summary>
    private Task Swap(Guid containerId, Entry? entry)
    {
        Table previous;
        Table next;
        lock (_gate)
        {
            _entries.TryGetValue(containerId, out var old);
            RetireLeavingReplicas(old, entry);
            if (entry is null)
            {
                _entries.Remove(containerId);
            }
            else
            {
                _entries[containerId] = entry;
            }
            previous = _current;
            next = Table.Build(previous.Version + 1, _entries.Values);
            Volatile.Write(ref _current, next);
            if (_lookup is not null)
            {
                _pending.Add(next);
            }
            else
            {
                // No proxy runs (it is off, or not started yet): it reads the latest table when it starts.
                next.MarkApplied(null);
            }
        }
        previous.SignalChange();
        return next.Applied;
    }

    /// <summary>
    /// Keeps YARP's state object of each replica the new entry drops, before the new table removes it from the
    /// cluster: requests already routed there keep counting in it, and <see cref="DrainAsync"/> watches it.
    /// </summary>
    private void RetireLeavingReplicas(Entry? old, Entry? replacement)
    {
        // Replicas nobody drained (a removed container) are forgotten once their last request is done.
        foreach (var (replicaId, states) in _retired)
        {
            if (states.All(state => state.ConcurrentRequestCount == 0))
            {
                _retired.TryRemove(replicaId, out _);
            }
        }
        if (old is null || _lookup is null || !_lookup.TryGetCluster(old.ClusterId, out var cluster))
        {
            return;
        }
        foreach (var backend in old.Backends)
        {
            if (replacement is not null && replacement.Backends.Any(b => b.ReplicaId == backend.ReplicaId))
            {
                continue;
            }
            if (cluster.Destinations.TryGetValue(backend.ReplicaId, out var state))
            {
                _retired.AddOrUpdate(backend.ReplicaId, [state], (_, states) => [.. states, state]);
            }
        }
    }

    /// <summary>Requests in flight to a replica, whether it is still in some table or was taken out of one.</summary>
    private int InFlight(string replicaId)
    {
        var count = 0;
        if (_retired.TryGetValue(replicaId, out var retired))
        {
            foreach (var state in retired)
            {
                count += state.ConcurrentRequestCount;
            }
        }
        IProxyStateLookup? lookup;
        Entry[] entries;
        lock (_gate)
        {
            lookup = _lookup;
            entries = [.. _entries.Values.Where(e => e.Backends.Any(b => b.ReplicaId == replicaId))];
        }
        foreach (var entry in entries)
        {
            if (lookup is not null && lookup.TryGetCluster(entry.ClusterId, out var cluster)
                && cluster.Destinations.TryGetValue(replicaId, out var live)
                && (retired is null || Array.IndexOf(retired, live) < 0))
            {
                count += live.ConcurrentRequestCount;
            }
        }
        return count;
    }

    /// <summary>Completes every pending table up to <paramref name="version"/>: YARP applies the latest one it read.</summary>
    private void CompletePending(long version, Exception? failure)
    {
        var done = 0;
        while (done < _pending.Count && _pending[done].Version <= version)
        {
            _pending[done].MarkApplied(failure);
            done++;
        }
        _pending.RemoveRange(0, done);
    }

    /// <summary>One container's published state and the YARP objects built from it once.</summary>
    private sealed class Entry
    {
        public Entry(Guid containerId, IReadOnlyList<string> domains, IReadOnlyList<IngressBackend> backends)
        {
            ClusterId = containerId.ToString("N", CultureInfo.InvariantCulture);
            Domains = domains;
            Backends = backends;
            Route = domains.Count == 0
                ? null
                : new RouteConfig
                {
                    RouteId = ClusterId,
                    ClusterId = ClusterId,
                    Match = new RouteMatch { Hosts = domains },
                };
            var destinations = new Dictionary<string, DestinationConfig>(backends.Count, StringComparer.Ordinal);
            foreach (var backend in backends)
            {
                destinations[backend.ReplicaId] = new DestinationConfig
                {
                    Address = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{backend.HostPort}"),
                };
            }
            Cluster = new ClusterConfig
            {
                ClusterId = ClusterId,
                LoadBalancingPolicy = LoadBalancingPolicies.RoundRobin,
                Destinations = destinations,
                HttpRequest = s_requestConfig,
            };
        }

        public string ClusterId { get; }

        public IReadOnlyList<string> Domains { get; }

        public IReadOnlyList<IngressBackend> Backends { get; }

        public RouteConfig? Route { get; }

        public ClusterConfig Cluster { get; }
    }

    /// <summary>One immutable version of the whole table, with the change token YARP watches on it.</summary>
    private sealed class Table : IProxyConfig
    {
        private readonly CancellationTokenSource _changed = new();
        private readonly TaskCompletionSource _applied = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Table(long version, IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters)
        {
            Version = version;
            Routes = routes;
            Clusters = clusters;
            ChangeToken = new CancellationChangeToken(_changed.Token);
        }

        public long Version { get; }

        public string RevisionId => Version.ToString(CultureInfo.InvariantCulture);

        public IReadOnlyList<RouteConfig> Routes { get; }

        public IReadOnlyList<ClusterConfig> Clusters { get; }

        public IChangeToken ChangeToken { get; }

        public Task Applied => _applied.Task;

        public static Table Build(long version, IEnumerable<Entry> entries)
        {
            var routes = new List<RouteConfig>();
            var clusters = new List<ClusterConfig>();
            foreach (var entry in entries)
            {
                if (entry.Route is not null)
                {
                    routes.Add(entry.Route);
                }
                clusters.Add(entry.Cluster);
            }
            return new Table(version, routes, clusters);
        }

        public void MarkApplied(Exception? failure)
        {
            if (failure is null)
            {
                _applied.TrySetResult();
            }
            else
            {
                _applied.TrySetException(new InvalidOperationException("The ingress rejected the routing table.", failure));
            }
        }

        public void SignalChange() => _changed.Cancel();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingress: container {ContainerId} routes {DomainCount} domains to {BackendCount} replicas")]
    private static partial void Published(ILogger logger, Guid containerId, int domainCount, int backendCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingress: container {ContainerId} removed")]
    private static partial void Removed(ILogger logger, Guid containerId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ingress: replica {ReplicaId} drained")]
    private static partial void Drained(ILogger logger, string replicaId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingress: replica {ReplicaId} still had {InFlight} requests in flight after {Timeout}")]
    private static partial void DrainTimedOut(ILogger logger, string replicaId, int inFlight, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingress: YARP rejected routing table {Version}")]
    private static partial void ApplyFailed(ILogger logger, Exception exception, long version);
}
