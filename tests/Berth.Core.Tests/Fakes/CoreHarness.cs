using Berth.Core.Accounts;
using Berth.Core.Containers;
using Berth.Core.Engine;
using Berth.Core.Lifecycle;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Core.Tests.Fakes;

/// <summary>
/// The Core services wired to a <see cref="FakeEngine"/>, an <see cref="InMemoryContainerStore"/> and a
/// fake clock. Engine events reach the <see cref="EngineEventHub"/> the way the reconciler's watch loop
/// forwards them, without the rest of the reconciler running.
/// </summary>
internal sealed class CoreHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;

    public CoreHarness(LifecycleOptions? options = null, bool pumpEvents = true)
    {
        Options = options ?? new LifecycleOptions
        {
            ConfirmTimeout = TimeSpan.FromSeconds(60),
            ConfirmPollInterval = TimeSpan.FromMilliseconds(250),
            StopGracePeriod = TimeSpan.FromSeconds(10),
            ResyncInterval = TimeSpan.FromSeconds(5),
        };
        var lifecycle = Microsoft.Extensions.Options.Options.Create(Options);
        Executor = new LifecycleExecutor(Store, Engine, Hub, Locks, lifecycle, Time, NullLogger<LifecycleExecutor>.Instance);
        Reconciler = new Reconciler(Store, Engine, Executor, Hub, Status, Locks, lifecycle, Time, NullLogger<Reconciler>.Instance);
        Service = new ContainerService(Store, Executor, Locks, new DomainClaims(Store), new NoDeploys(), Microsoft.Extensions.Options.Options.Create(BerthOptions), Time,
            new Berth.Core.Projects.ProjectAccess(Projects));
        // Called directly so that the subscription exists before the test can make the engine unavailable.
        _pump = pumpEvents ? PumpAsync() : Task.CompletedTask;
    }

    public FakeEngine Engine { get; } = new();

    public InMemoryContainerStore Store { get; } = new();

    public InMemoryProjectStore Projects { get; } = new();

    public TestTimeProvider Time { get; } = new();

    public EngineEventHub Hub { get; } = new();

    public ContainerLocks Locks { get; } = new();

    public EngineStatus Status { get; } = new();

    public LifecycleOptions Options { get; }

    public BerthOptions BerthOptions { get; } = new();

    public LifecycleExecutor Executor { get; }

    public Reconciler Reconciler { get; }

    public ContainerService Service { get; }

    public Caller User { get; } = new(Guid.NewGuid(), IsAdmin: false);

    public static Caller NewUser() => new(Guid.NewGuid(), IsAdmin: false);

    public static Caller NewAdmin() => new(Guid.NewGuid(), IsAdmin: true);

    /// <summary>A record in <paramref name="state"/> with matching replicas in the engine.</summary>
    public Container Seed(
        ContainerState state, ContainerOperation? pending = null, int replicas = 1, Guid? owner = null, string? hostname = null,
        bool withReplicas = true, Guid? projectId = null)
    {
        var id = Guid.CreateVersion7(Time.GetUtcNow());
        var container = Store.Seed(new Container
        {
            Id = id,
            UserId = owner ?? User.UserId,
            ProjectId = projectId,
            EnvironmentId = BerthOptions.EnvironmentId,
            Hostname = hostname ?? $"c{id:N}",
            Image = "berth/busybox:latest",
            Replicas = replicas,
            State = state,
            PendingOperation = pending,
            CreatedAt = Time.GetUtcNow(),
            UpdatedAt = Time.GetUtcNow(),
            Version = 3,
        });
        if (withReplicas)
        {
            var replicaState = state switch
            {
                ContainerState.Running or ContainerState.Deploying => ReplicaState.Running,
                ContainerState.Paused => ReplicaState.Paused,
                ContainerState.Provisioning => ReplicaState.Created,
                _ => ReplicaState.Exited,
            };
            Engine.Seed(id, Enumerable.Repeat(replicaState, replicas).ToArray());
        }
        return container;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pump.WaitAsync(TestTimeouts.Await);
        await Executor.DrainAsync().WaitAsync(TestTimeouts.Await);
        _stop.Dispose();
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (var engineEvent in Engine.WatchAsync(_stop.Token))
            {
                Hub.Publish(engineEvent);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }
}

/// <summary>Stands in for the deployment runner where no deploy ever runs.</summary>
internal sealed class NoDeploys : Berth.Core.Deployments.IDeploymentControl
{
    public Task CancelRunningAsync(Guid containerId, string actor, CancellationToken cancellationToken) => Task.CompletedTask;
}
