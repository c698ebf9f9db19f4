using Berth.Core.Containers;
using Berth.Core.Deployments;
using Berth.Core.Engine;
using Berth.Core.Persistence;
using Microsoft.Extensions.Logging;

namespace Berth.Core.Ingress;

/// <summary>
/// Keeps the ingress routes true to the engine outside deploys (a deploy publishes its own routes as it
/// goes): every running replica of a container with domains takes traffic; a container that does not
/// run answers 503; a deleted one loses its routes. Level-triggered, like the reconciler: it looks
/// again on every change of a record and at least once a second.
/// </summary>
public sealed partial class IngressSync(
    IContainerStore store,
    IContainerEngine engine,
    IIngressRoutes routes,
    DeploymentRunner deploys,
    ContainerChangeSignal changes,
    TimeProvider time,
    ILogger<IngressSync> logger)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinGap = TimeSpan.FromMilliseconds(200);
    private readonly Dictionary<Guid, (string Domains, string Backends)> _published = [];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await SyncAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is EngineUnavailableException or InvalidOperationException)
            {
                LogSyncFailed(logger, e.Message);
            }
            var change = changes.Next;
            // At most a few passes a second, however busy the store is: each one lists the engine's replicas.
            await Task.Delay(MinGap, time, cancellationToken).ConfigureAwait(false);
            await Task.WhenAny(change, Task.Delay(Interval, time, cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>One pass over every live container. Public so that tests can drive it.</summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        var records = await store.ListLiveAsync(cancellationToken).ConfigureAwait(false);
        var routed = records.Where(r => r.Domains.Count > 0 && !deploys.IsRunning(r.Id) && r.State != ContainerState.Deploying).ToList();
        var observed = routed.Count == 0
            ? new Dictionary<Guid, WorkloadObservation>()
            : (await engine.ObserveAllAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(o => o.ContainerId);

        foreach (var record in routed)
        {
            var backends = record.State is ContainerState.Running && observed.TryGetValue(record.Id, out var o)
                ? o.Replicas.Where(r => r.State == ReplicaState.Running && r.HostPort is not null)
                    .Select(r => new IngressBackend(r.EngineId, r.HostPort!.Value)).ToList()
                : [];
            var key = (string.Join(",", record.Domains), string.Join(",", backends.Select(b => $"{b.ReplicaId}:{b.HostPort}")));
            if (!_published.TryGetValue(record.Id, out var last) || last != key)
            {
                await routes.PublishAsync(record.Id, record.Domains, backends, cancellationToken).ConfigureAwait(false);
                _published[record.Id] = key;
            }
        }

        var keep = records.Where(r => deploys.IsRunning(r.Id) || r.State == ContainerState.Deploying).Select(r => r.Id)
            .Concat(routed.Select(r => r.Id)).ToHashSet();
        foreach (var gone in _published.Keys.Where(id => !keep.Contains(id)).ToList())
        {
            await routes.RemoveAsync(gone, cancellationToken).ConfigureAwait(false);
            _published.Remove(gone);
        }
        // A deploy publishes by itself; forget what was published before it, so the next pass compares afresh.
        foreach (var deploying in keep.Where(id => !routed.Any(r => r.Id == id)))
        {
            _published.Remove(deploying);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ingress sync failed: {Problem}")]
    private static partial void LogSyncFailed(ILogger logger, string problem);
}
