using Berth.Core.Containers;
using Berth.Core.Deployments;
using Berth.Core.Engine;
using Berth.Core.Ingress;
using Berth.Core.Persistence;
using Berth.Core.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Core.Tests.Deployments;

/// <summary>The order of a rolling deploy and how every way it can end restores the previous version.</summary>
public sealed class DeploymentRunnerTests : IAsyncLifetime
{
    private readonly CoreHarness _h = new();
    private readonly InMemoryDeploymentStore _deployments = new();
    private readonly RecordingRoutes _routes = new();
    private readonly DeploymentRunner _runner;
    private readonly DeploymentService _service;

    public DeploymentRunnerTests()
    {
        var health = new ReplicaHealthGate(_h.Engine, new NeverCalledProbe(), _h.Time);
        _runner = new DeploymentRunner(_h.Store, _deployments, _h.Engine, health, _routes, _h.Executor, _h.Locks,
            Microsoft.Extensions.Options.Options.Create(_h.Options), _h.Time, NullLogger<DeploymentRunner>.Instance);
        _service = new DeploymentService(_h.Service, _h.Store, _deployments, _h.Engine, _runner, _h.Executor, _h.Locks, _h.Time);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _runner.StopAsync();
        await _h.DisposeAsync();
    }

    [Fact]
    public async Task Deploy_TwoReplicas_EachNewReplicaStartsBeforeTheOldOneOfItsIndexIsRemoved()
    {
        var container = _h.Seed(ContainerState.Running, replicas: 2);

        var started = await _service.DeployAsync(_h.User, container.Hostname, "app:2", null, CancellationToken.None).Within();
        var done = await FinishedAsync(started.Id);

        Assert.Equal(DeploymentStatus.Succeeded, done.Status);
        Assert.Equal(["RunReplica", "RemoveReplica", "RunReplica", "RemoveReplica"],
            _h.Engine.Calls.Where(c => c.ContainerId == container.Id && c.Method is "RunReplica" or "RemoveReplica").Select(c => c.Method));
        Assert.Equal([(0, 1, "app:2"), (1, 1, "app:2")], _h.Engine.ReplicasOf(container.Id));
        var record = _h.Store.Get(container.Id)!;
        Assert.Equal((ContainerState.Running, "app:2", 1), (record.State, record.Image, record.ReplicaGeneration));
        Assert.NotNull(record.LastDeployedAt);
        Assert.Equal(started.Previous.Image, container.Image);
        Assert.Contains(done.Steps, s => s.Message.Contains("drained", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deploy_ScaleDownFromThreeToOne_ReplacesIndexZeroAndRemovesTheRest()
    {
        var container = _h.Seed(ContainerState.Running, replicas: 3);
        await _h.Service.UpdateAsync(_h.User, container.Hostname, new UpdateContainerRequest { Replicas = 1 }, null, CancellationToken.None).Within();

        var done = await FinishedAsync((await _service.DeployAsync(_h.User, container.Hostname, null, null, CancellationToken.None).Within()).Id);

        Assert.Equal(DeploymentStatus.Succeeded, done.Status);
        Assert.Equal([(0, 1, "berth/busybox:latest")], _h.Engine.ReplicasOf(container.Id));
        var record = _h.Store.Get(container.Id)!;
        Assert.Equal(1, record.Replicas);
        Assert.False(record.HasPendingChanges);
    }

    [Fact]
    public async Task Deploy_NewVersionCrashes_RolledBackWithOldReplicasUntouched()
    {
        var container = _h.Seed(ContainerState.Running, replicas: 2);
        var before = _h.Engine.Snapshot(container.Id).Replicas.Select(r => r.EngineId).ToList();

        var done = await FinishedAsync((await _service.DeployAsync(_h.User, container.Hostname, "app:exits", null, CancellationToken.None).Within()).Id);

        Assert.Equal(DeploymentStatus.RolledBack, done.Status);
        Assert.Contains("exited with code 1", done.Reason, StringComparison.Ordinal);
        Assert.Equal(before, _h.Engine.Snapshot(container.Id).Replicas.Select(r => r.EngineId));
        var record = _h.Store.Get(container.Id)!;
        Assert.Equal((ContainerState.Running, "berth/busybox:latest"), (record.State, record.Image));
        Assert.Equal(ContainerState.Running, _h.Store.TransitionsOf(container.Id)[^1].ToStatus);
        Assert.Contains("rolled_back", _h.Store.TransitionsOf(container.Id)[^1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deploy_WhileOneRuns_OperationStateConflict()
    {
        var container = _h.Seed(ContainerState.Running);
        await _h.Executor.SaveAsync(container, container with { State = ContainerState.Deploying }, null);

        var error = await Assert.ThrowsAsync<Errors.BerthException>(
            () => _service.DeployAsync(_h.User, container.Hostname, "app:2", null, CancellationToken.None)).Within();

        Assert.Equal(Errors.BerthError.OperationStateConflict, error.Error);
    }

    [Fact]
    public async Task Recover_DeployCutShortAfterReplacingIndexZero_PreviousVersionRestoredEverywhere()
    {
        // What a crash leaves: index 0 already replaced by generation 1, index 1 still the old replica.
        var container = _h.Seed(ContainerState.Running, replicas: 2);
        var target = container.Config with { Image = "app:2" };
        var deployment = new Deployment
        {
            Id = Guid.CreateVersion7(),
            ContainerId = container.Id,
            Status = DeploymentStatus.InProgress,
            PreviousImage = container.Image,
            NewImage = "app:2",
            Previous = container.Config,
            Target = target,
            Generation = 1,
            Actor = _h.User.Actor,
            TriggeredAt = _h.Time.GetUtcNow(),
        };
        await _deployments.AddAsync(deployment, CancellationToken.None);
        var stored = _h.Store.Get(container.Id)!;
        await _h.Executor.SaveAsync(stored, stored with { State = ContainerState.Deploying, ReplicaGeneration = 1 }, null);
        var old = _h.Engine.Snapshot(container.Id).Replicas;
        await _h.Engine.RunReplicaAsync(WorkloadSpec.For(container, target, 1), 0, CancellationToken.None);
        await _h.Engine.RemoveReplicaAsync(container.Id, old[0].EngineId, TimeSpan.Zero, CancellationToken.None);

        await _runner.RecoverAsync(CancellationToken.None);
        var done = await FinishedAsync(deployment.Id);

        Assert.Equal(DeploymentStatus.RolledBack, done.Status);
        Assert.Contains("Berth restarted during the deploy", done.Reason, StringComparison.Ordinal);
        var replicas = _h.Engine.ReplicasOf(container.Id).OrderBy(r => r.Index).ToList();
        Assert.Equal([0, 1], replicas.Select(r => r.Index));
        Assert.All(replicas, r => Assert.NotEqual("app:2", r.Image));
        Assert.Equal(old[1].EngineId, _h.Engine.Snapshot(container.Id).Replicas.Single(r => r.Index == 1).EngineId);
        Assert.Equal((ContainerState.Running, container.Image), (_h.Store.Get(container.Id)!.State, _h.Store.Get(container.Id)!.Image));
    }

    private Task<Deployment> FinishedAsync(Guid deploymentId) =>
        _deployments.WaitFinishedAsync(deploymentId).Within();

    private sealed class NeverCalledProbe : IReplicaHealthProbe
    {
        public Task<string?> ProbeAsync(int hostPort, HealthCheck check, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no health check in these tests");
    }

    private sealed class RecordingRoutes : IIngressRoutes
    {
        public Task PublishAsync(Guid containerId, IReadOnlyList<string> domains, IReadOnlyList<IngressBackend> backends, CancellationToken cancellationToken) =>
            Task.CompletedTask;

        public Task RemoveAsync(Guid containerId, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task DrainAsync(string replicaId, TimeSpan timeout, CancellationToken cancellationToken) => Task.CompletedTask;

        public IReadOnlyList<IngressBackend> BackendsOf(Guid containerId) => [];
    }
}

/// <summary>Deployments in memory, with a way to wait for one to finish.</summary>
internal sealed class InMemoryDeploymentStore : IDeploymentStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Deployment> _deployments = [];
    private readonly List<(Guid Id, TaskCompletionSource<Deployment> Done)> _waiters = [];

    public Task AddAsync(Deployment deployment, CancellationToken cancellationToken) => UpdateAsync(deployment, cancellationToken);

    public Task UpdateAsync(Deployment deployment, CancellationToken cancellationToken)
    {
        List<TaskCompletionSource<Deployment>> done;
        lock (_gate)
        {
            _deployments[deployment.Id] = deployment;
            done = deployment.IsFinished ? [.. _waiters.Where(w => w.Id == deployment.Id).Select(w => w.Done)] : [];
            _waiters.RemoveAll(w => done.Contains(w.Done));
        }
        done.ForEach(d => d.TrySetResult(deployment));
        return Task.CompletedTask;
    }

    public Task<Deployment?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_deployments.GetValueOrDefault(id));
        }
    }

    public Task<Page<Deployment>> ListAsync(Guid containerId, int pageNumber, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var all = _deployments.Values.Where(d => d.ContainerId == containerId).OrderByDescending(d => d.TriggeredAt).ToList();
            return Task.FromResult(new Page<Deployment>([.. all.Skip((pageNumber - 1) * limit).Take(limit)], pageNumber, limit, all.Count));
        }
    }

    public Task<IReadOnlyList<Deployment>> ListInProgressAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<Deployment>>([.. _deployments.Values.Where(d => !d.IsFinished)]);
        }
    }

    public Task<Deployment> WaitFinishedAsync(Guid id)
    {
        lock (_gate)
        {
            if (_deployments.GetValueOrDefault(id) is { IsFinished: true } finished)
            {
                return Task.FromResult(finished);
            }
            var done = new TaskCompletionSource<Deployment>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((id, done));
            return done.Task;
        }
    }
}
