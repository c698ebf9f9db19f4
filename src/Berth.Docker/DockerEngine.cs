using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Berth.Core.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Berth.Docker;

/// <summary>
/// <see cref="IContainerEngine"/> on one Docker host: Berth places the N replicas of a workload itself
/// and finds them again by their labels.
/// </summary>
internal sealed class DockerEngine : IContainerEngine
{
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How far back an event subscription replays. The engine's clock is the reference for "since";
    /// a little slack covers a clock step between this process and a local engine.
    /// </summary>
    private static readonly TimeSpan WatchReplay = TimeSpan.FromSeconds(1);

    /// <summary>Without a bound, a replica list that keeps changing under an operation would never let it finish.</summary>
    private const int MaxActPasses = 3;

    /// <summary>Actions that change nothing Berth observes; exec actions also carry command lines, which may hold secrets.</summary>
    private static readonly string[] IgnoredActionPrefixes =
        ["exec_", "attach", "resize", "top", "archive-path", "extract-to-dir", "export", "commit", "copy"];

    private readonly DockerConnection _docker;
    private readonly string _instanceId;
    private readonly ILogger<DockerEngine> _logger;

    // Each container's replica ids as last seen, so that lifecycle operations act at once instead of
    // listing first. A stale entry costs nothing: the observation that follows every action shows
    // replicas the list missed, and those are acted on too.
    private readonly ConcurrentDictionary<Guid, string[]> _replicaIds = new();

    // Whether an exited replica was OOM-killed. Only an inspect tells, and the answer cannot change
    // until the replica runs again, so it is asked once per exit rather than on every observation.
    private readonly ConcurrentDictionary<string, bool> _oomKilled = new(StringComparer.Ordinal);

    // Whether the storage driver enforces a size limit per replica, once known (see CreateWithDiskLimitAsync).
    // 0: not known yet, 1: enforced, 2: not supported.
    private volatile int _diskLimits;
    private readonly SemaphoreSlim _diskProbe = new(1, 1);

    public DockerEngine(DockerConnection docker, IOptions<DockerEngineOptions> options, ILogger<DockerEngine> logger)
    {
        _docker = docker;
        _instanceId = options.Value.InstanceId;
        _logger = logger;
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        // A socket deadline runs on real time, whatever clock the host injects for its own logic.
        using var timeout = new CancellationTokenSource(PingTimeout, TimeProvider.System);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await _docker.CallAsync("answer a ping", (client, ct) => client.System.PingAsync(ct), linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EngineUnavailableException(
                $"Docker engine at {_docker.Endpoint} is unreachable: no answer to a ping within {PingTimeout.TotalSeconds:0} s.", e);
        }
    }

    public async Task<WorkloadObservation> ApplyAsync(WorkloadSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegative(spec.Replicas);

        var existing = await ListAsync(spec.ContainerId, cancellationToken).ConfigureAwait(false);

        // One replica per index; should two ever claim one, the running one stays.
        var kept = new Dictionary<int, ContainerListResponse>();
        var excess = new List<ContainerListResponse>();
        foreach (var container in existing.OrderByDescending(c => c.State == "running"))
        {
            if (ReplicaLabels.Index(container.Labels) is { } index && index < spec.Replicas && kept.TryAdd(index, container))
            {
                continue;
            }
            excess.Add(container);
        }

        var missing = Enumerable.Range(0, spec.Replicas).Any(index => !kept.ContainsKey(index));
        if (missing)
        {
            await EnsureVolumesAsync(spec, cancellationToken).ConfigureAwait(false);
        }
        // At most one pull, shared by every replica that finds the image missing.
        var pull = new Lazy<Task>(() => PullAsync(spec.Image, cancellationToken));
        var creations = Enumerable.Range(0, spec.Replicas)
            .Where(index => !kept.ContainsKey(index))
            .Select(index => CreateReplicaAsync(spec, index, pull, cancellationToken))
            .ToList();
        var removals = excess.Select(c => DeleteReplicaAsync(spec.ContainerId, c.ID, cancellationToken)).ToList();
        await Task.WhenAll([.. creations, .. removals]).ConfigureAwait(false);

        // Built from what was listed and created rather than listed again: nothing else changes
        // Berth's replicas in between, and Apply sits on the path of create and deploy.
        var replicas = new List<ReplicaObservation>(await ObserveReplicasAsync(kept.Values, cancellationToken).ConfigureAwait(false));
        foreach (var creation in creations)
        {
            replicas.Add(await creation.ConfigureAwait(false));
        }
        return Remember(new WorkloadObservation(spec.ContainerId, [.. replicas.OrderBy(r => r.Index)]));
    }

    public Task<WorkloadObservation> StartAsync(Guid containerId, CancellationToken cancellationToken) =>
        ActOnEveryReplicaAsync(containerId, "start", static state => state == ReplicaState.Running, endsReplicas: false, (client, id, ct) =>
            client.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct), cancellationToken);

    public Task<WorkloadObservation> StopAsync(Guid containerId, TimeSpan grace, CancellationToken cancellationToken)
    {
        // The engine counts the grace period in whole seconds; rounding up never cuts a shutdown short.
        var seconds = (uint)Math.Min(uint.MaxValue, Math.Ceiling(Math.Max(0, grace.TotalSeconds)));
        return ActOnEveryReplicaAsync(containerId, "stop", IsNotRunning, endsReplicas: true, (client, id, ct) =>
            client.Containers.StopContainerAsync(id, new ContainerStopParameters { WaitBeforeKillSeconds = seconds }, ct), cancellationToken);
    }

    public Task<WorkloadObservation> KillAsync(Guid containerId, CancellationToken cancellationToken) =>
        ActOnEveryReplicaAsync(containerId, "kill", IsNotRunning, endsReplicas: true, async (client, id, ct) =>
        {
            await client.Containers.KillContainerAsync(id, new ContainerKillParameters { Signal = "KILL" }, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<WorkloadObservation> PauseAsync(Guid containerId, CancellationToken cancellationToken) =>
        ActOnEveryReplicaAsync(containerId, "pause", static state => state == ReplicaState.Paused, endsReplicas: false, async (client, id, ct) =>
        {
            await client.Containers.PauseContainerAsync(id, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<WorkloadObservation> UnpauseAsync(Guid containerId, CancellationToken cancellationToken) =>
        ActOnEveryReplicaAsync(containerId, "unpause", static state => state == ReplicaState.Running, endsReplicas: false, async (client, id, ct) =>
        {
            await client.Containers.UnpauseContainerAsync(id, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    private static bool IsNotRunning(ReplicaState state) =>
        state is ReplicaState.Created or ReplicaState.Exited or ReplicaState.Dead;

    public async Task RemoveAsync(Guid containerId, CancellationToken cancellationToken)
    {
        // Listed rather than taken from the cache: removal has to be complete, not quick.
        var existing = await ListAsync(containerId, cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(existing.Select(c => DeleteReplicaAsync(containerId, c.ID, cancellationToken))).ConfigureAwait(false);
        _replicaIds.TryRemove(containerId, out _);
        await RemoveVolumesAsync(containerId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> ResolveImageAsync(string image, CancellationToken cancellationToken)
    {
        var inspect = await InspectImageAsync(image, cancellationToken).ConfigureAwait(false);
        if (inspect is null)
        {
            await PullAsync(image, cancellationToken).ConfigureAwait(false);
            inspect = await InspectImageAsync(image, cancellationToken).ConfigureAwait(false)
                ?? throw ImageNotFound(image, "the engine still lacks it after pulling");
        }
        // A repository digest names the same content on any engine; an image built on this one has only its id.
        var (name, _) = ImageReference.Split(image);
        return inspect.RepoDigests?.FirstOrDefault(d => d.StartsWith(name + "@", StringComparison.Ordinal))
            ?? inspect.RepoDigests?.FirstOrDefault()
            ?? inspect.ID;
    }

    public async Task<ReplicaObservation> RunReplicaAsync(WorkloadSpec spec, int index, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        await EnsureVolumesAsync(spec, cancellationToken).ConfigureAwait(false);
        var created = await CreateReplicaAsync(spec, index, new Lazy<Task>(() => PullAsync(spec.Image, cancellationToken)), cancellationToken)
            .ConfigureAwait(false);
        // The cached replica list of the container no longer holds: the next operation lists again.
        _replicaIds.TryRemove(spec.ContainerId, out _);
        var shortId = ReplicaLabels.Short(created.EngineId);
        DockerLog.ReplicaAction(_logger, "start", shortId, spec.ContainerId);
        await _docker.CallAsync($"start replica {shortId}", (client, ct) =>
            client.Containers.StartContainerAsync(created.EngineId, new ContainerStartParameters(), ct), cancellationToken).ConfigureAwait(false);
        // The published port is known only once the replica runs.
        return await InspectAsync(created.EngineId, cancellationToken).ConfigureAwait(false)
            ?? throw new EngineUnavailableException($"Replica {index} of {spec.Hostname} disappeared right after it started.");
    }

    public async Task RemoveReplicaAsync(Guid containerId, string engineId, TimeSpan grace, CancellationToken cancellationToken)
    {
        var seconds = (uint)Math.Min(uint.MaxValue, Math.Ceiling(Math.Max(0, grace.TotalSeconds)));
        var shortId = ReplicaLabels.Short(engineId);
        DockerLog.ReplicaAction(_logger, "stop", shortId, containerId);
        // Gone (404) or already stopped (304, which the client reports as false) both let removal go on.
        await _docker.CallAsync($"stop replica {shortId}", (client, ct) =>
            client.Containers.StopContainerAsync(engineId, new ContainerStopParameters { WaitBeforeKillSeconds = seconds }, ct),
            cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        _oomKilled[engineId] = false;
        await DeleteReplicaAsync(containerId, engineId, cancellationToken).ConfigureAwait(false);
        _replicaIds.TryRemove(containerId, out _);
    }

    private Task<ImageInspectResponse?> InspectImageAsync(string image, CancellationToken cancellationToken) =>
        _docker.CallAsync($"inspect image {image}", (client, ct) => client.Images.InspectImageAsync(image, ct),
            cancellationToken, HttpStatusCode.NotFound);

    /// <summary>Creates the container's named volumes, labelled so that removing the container finds them. Creating one that exists is a no-op.</summary>
    private async Task EnsureVolumesAsync(WorkloadSpec spec, CancellationToken cancellationToken)
    {
        foreach (var volume in spec.Volumes)
        {
            var name = ReplicaLabels.VolumeName(spec.ContainerId, volume.Name);
            await _docker.CallAsync($"create volume {name}", (client, ct) => client.Volumes.CreateAsync(new VolumesCreateParameters
            {
                Name = name,
                Labels = ReplicaLabels.ForVolume(_instanceId, spec.ContainerId),
            }, ct), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RemoveVolumesAsync(Guid containerId, CancellationToken cancellationToken)
    {
        var volumes = await _docker.CallAsync("list volumes", (client, ct) => client.Volumes.ListAsync(
            new VolumesListParameters { Filters = ReplicaLabels.Filter(_instanceId, containerId) }, ct), cancellationToken).ConfigureAwait(false);
        foreach (var volume in volumes?.Volumes ?? [])
        {
            // Gone already (404) ends where this call wants to be.
            await _docker.CallAsync($"remove volume {volume.Name}", (client, ct) => client.Volumes.RemoveAsync(volume.Name, force: true, ct),
                cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        }
    }

    public async Task<WorkloadObservation> ObserveAsync(Guid containerId, CancellationToken cancellationToken)
    {
        var containers = await ListAsync(containerId, cancellationToken).ConfigureAwait(false);
        var replicas = await ObserveReplicasAsync(containers, cancellationToken).ConfigureAwait(false);
        return Remember(new WorkloadObservation(containerId, replicas));
    }

    public async Task<IReadOnlyList<WorkloadObservation>> ObserveAllAsync(CancellationToken cancellationToken)
    {
        var containers = await ListAsync(null, cancellationToken).ConfigureAwait(false);
        var groups = containers
            .Select(c => (ContainerId: ReplicaLabels.ContainerId(c.Labels), Container: c))
            .Where(g => g.ContainerId is not null)
            .GroupBy(g => g.ContainerId!.Value, g => g.Container);
        var observations = await Task.WhenAll(groups.Select(async group =>
            new WorkloadObservation(group.Key, await ObserveReplicasAsync([.. group], cancellationToken).ConfigureAwait(false))))
            .ConfigureAwait(false);

        foreach (var observation in observations)
        {
            Remember(observation);
        }
        // The full list is the moment to forget what no longer exists, whoever removed it.
        var seen = observations.Select(o => o.ContainerId).ToHashSet();
        foreach (var gone in _replicaIds.Keys.Where(id => !seen.Contains(id)))
        {
            _replicaIds.TryRemove(gone, out _);
        }
        var present = containers.Select(c => c.ID).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _oomKilled.Keys.Where(id => !present.Contains(id)))
        {
            _oomKilled.TryRemove(gone, out _);
        }
        return observations.Where(o => o.Exists).ToList();
    }

    /// <summary>
    /// Events of this instance's replicas, with two promises:
    /// <list type="bullet">
    /// <item>Nothing is lost at the start. The subscription asks the engine to replay from a moment just
    /// before this method was called, so every event after the call is delivered, even one that happens
    /// before the engine has set the subscription up (the engine keeps its last 256 events for such
    /// replays). An event may therefore arrive twice, or from up to a second before the call; consumers
    /// treat an event as "observe now", so that is harmless.</item>
    /// <item>An observation made after an event is yielded sees at least the state the event announced
    /// (see <see cref="SettleAsync"/>).</item>
    /// </list>
    /// Exec, attach and similar actions that change no observable state are left out.
    /// </summary>
    public IAsyncEnumerable<EngineEvent> WatchAsync(CancellationToken cancellationToken)
    {
        // Compared with the engine's own clock, so it is real time even when the host injects a test clock.
        var since = TimeProvider.System.GetUtcNow() - WatchReplay;
        return WatchFromAsync(since, cancellationToken);
    }

    private async IAsyncEnumerable<EngineEvent> WatchFromAsync(DateTimeOffset since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var parameters = new ContainerEventsParameters
        {
            Since = UnixTime(since),
            Filters = new Dictionary<string, IDictionary<string, bool>>(StringComparer.Ordinal)
            {
                ["type"] = new Dictionary<string, bool>(StringComparer.Ordinal) { ["container"] = true },
                ["label"] = new Dictionary<string, bool>(StringComparer.Ordinal) { [$"{ReplicaLabels.Instance}={_instanceId}"] = true },
            },
        };

        // The client reports events through a callback; a channel turns them into this enumeration
        // without blocking the connection's reader on a slow consumer.
        var channel = Channel.CreateUnbounded<(EngineEvent Event, string? EngineId)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var progress = new SynchronousProgress<Message>(message =>
        {
            if (EngineEvents.From(message) is { } engineEvent && !IsIgnored(engineEvent.Action))
            {
                channel.Writer.TryWrite((engineEvent, message.Actor?.ID));
            }
        });

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        DockerLog.WatchStarted(_logger, since);
        var pump = PumpEventsAsync(parameters, progress, channel.Writer, stop.Token);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    // Throws the pump's EngineUnavailableException when the connection failed.
                    more = await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    yield break;
                }
                if (!more)
                {
                    yield break;
                }
                while (channel.Reader.TryRead(out var item))
                {
                    try
                    {
                        await SettleAsync(item.Event, item.EngineId, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        yield break;
                    }
                    yield return item.Event;
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// dockerd announces some changes (die, pause) a moment before its container list shows them. An
    /// inspect waits on the container's lock, which is held until the change is recorded; after it, an
    /// observation sees what the event announced. That is the promise to consumers: observe on an
    /// event and the observation is at least as new as the event.
    /// </summary>
    private async Task SettleAsync(EngineEvent engineEvent, string? engineId, CancellationToken cancellationToken)
    {
        if (engineId is null || engineEvent.Action == "destroy")
        {
            return;
        }
        await _docker.CallAsync($"inspect replica {ReplicaLabels.Short(engineId)}", (client, ct) =>
            client.Containers.InspectContainerAsync(engineId, ct), cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
    }

    private async Task PumpEventsAsync(ContainerEventsParameters parameters, IProgress<Message> progress, ChannelWriter<(EngineEvent, string?)> writer, CancellationToken cancellationToken)
    {
        try
        {
            await _docker.CallAsync("stream events", (client, ct) => client.System.MonitorEventsAsync(parameters, progress, ct), cancellationToken)
                .ConfigureAwait(false);
            DockerLog.WatchEnded(_logger);
            writer.TryComplete();
        }
        catch (Exception e)
        {
            // Ended by the consumer: a quiet end. Anything else reaches the consumer as the channel's error.
            writer.TryComplete(cancellationToken.IsCancellationRequested ? null
                : e as EngineUnavailableException ?? new EngineUnavailableException($"Docker engine at {_docker.Endpoint} sent an unreadable event stream: {e.Message}", e));
        }
    }

    private static bool IsIgnored(string action) =>
        IgnoredActionPrefixes.Any(prefix => action.StartsWith(prefix, StringComparison.Ordinal));

    private static string UnixTime(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = ticks / TimeSpan.TicksPerSecond;
        var nanoseconds = ticks % TimeSpan.TicksPerSecond * 100;
        return string.Create(CultureInfo.InvariantCulture, $"{seconds}.{nanoseconds:D9}");
    }

    /// <summary>
    /// Acts on every replica at once, then observes. The engine refuses an action on a replica that is
    /// already where the action leads (unpausing a running replica, killing a stopped one), with 409 or
    /// 500 depending on the action and the engine's version; so a refusal counts as a failure only when
    /// the observation shows the replica is not where <paramref name="done"/> wants it.
    /// </summary>
    private async Task<WorkloadObservation> ActOnEveryReplicaAsync(
        Guid containerId,
        string action,
        Func<ReplicaState, bool> done,
        bool endsReplicas,
        Func<DockerClient, string, CancellationToken, Task<bool>> act,
        CancellationToken cancellationToken)
    {
        IReadOnlyCollection<string> targets;
        if (_replicaIds.TryGetValue(containerId, out var known))
        {
            targets = known;
        }
        else
        {
            var before = await ObserveAsync(containerId, cancellationToken).ConfigureAwait(false);
            if (!before.Exists)
            {
                return before;
            }
            targets = [.. before.Replicas.Select(r => r.EngineId)];
        }

        var acted = new HashSet<string>(StringComparer.Ordinal);
        for (var pass = 1; ; pass++)
        {
            var outcomes = await Task.WhenAll(targets.Select(engineId => ActOnReplicaAsync(containerId, action, engineId, act, cancellationToken)))
                .ConfigureAwait(false);
            acted.UnionWith(targets);
            if (endsReplicas)
            {
                // A running replica this call ended exits 137 by Berth's SIGKILL, not the OOM killer's:
                // knowing that saves the inspect that would otherwise ask.
                foreach (var outcome in outcomes.Where(o => o.Acted))
                {
                    _oomKilled[outcome.EngineId] = false;
                }
            }

            var observation = await ObserveAsync(containerId, cancellationToken).ConfigureAwait(false);
            observation = await CatchUpAsync(observation, outcomes.Where(o => o.Acted).Select(o => o.EngineId), done, cancellationToken)
                .ConfigureAwait(false);
            foreach (var (engineId, _, refusal) in outcomes)
            {
                // Gone since (a replica that is not there is not left undone) or already done: fine.
                if (refusal is not null && observation.Replicas.FirstOrDefault(r => r.EngineId == engineId) is { } replica && !done(replica.State))
                {
                    throw refusal;
                }
            }

            targets = [.. observation.Replicas.Select(r => r.EngineId).Where(id => !acted.Contains(id))];
            if (targets.Count == 0 || pass == MaxActPasses)
            {
                return observation;
            }
            DockerLog.ReplicasChanged(_logger, containerId);
        }
    }

    /// <summary>
    /// The engine answers an action before its container list catches up (dockerd records the new
    /// state in the list's snapshot just after waking the caller). An inspect waits for the
    /// container's lock, so it has the settled state: only replicas the list shows lagging are asked.
    /// </summary>
    private async Task<WorkloadObservation> CatchUpAsync(
        WorkloadObservation observation,
        IEnumerable<string> acted,
        Func<ReplicaState, bool> done,
        CancellationToken cancellationToken)
    {
        var actedIds = acted.ToHashSet(StringComparer.Ordinal);
        var lagging = observation.Replicas.Where(r => actedIds.Contains(r.EngineId) && !done(r.State)).ToList();
        if (lagging.Count == 0)
        {
            return observation;
        }
        var settled = await Task.WhenAll(lagging.Select(r => InspectAsync(r.EngineId, cancellationToken))).ConfigureAwait(false);
        var byId = settled.OfType<ReplicaObservation>().ToDictionary(r => r.EngineId, StringComparer.Ordinal);
        return Remember(observation with
        {
            Replicas = [.. observation.Replicas
                .Where(r => !lagging.Contains(r) || byId.ContainsKey(r.EngineId))
                .Select(r => byId.GetValueOrDefault(r.EngineId, r))],
        });
    }

    /// <summary>Null when the replica is gone.</summary>
    private async Task<ReplicaObservation?> InspectAsync(string engineId, CancellationToken cancellationToken)
    {
        var inspect = await _docker.CallAsync($"inspect replica {ReplicaLabels.Short(engineId)}", (client, ct) =>
            client.Containers.InspectContainerAsync(engineId, ct), cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        if (inspect is null || ReplicaMapper.Map(inspect) is not { } replica)
        {
            return null;
        }
        if (replica.State is ReplicaState.Exited or ReplicaState.Dead)
        {
            _oomKilled[engineId] = replica.OomKilled;
        }
        return replica;
    }

    /// <returns>
    /// Whether the engine changed the replica (false when it was already there or is gone), or its
    /// refusal, to be judged against the observation that follows.
    /// </returns>
    private async Task<(string EngineId, bool Acted, EngineUnavailableException? Refusal)> ActOnReplicaAsync(
        Guid containerId,
        string action,
        string engineId,
        Func<DockerClient, string, CancellationToken, Task<bool>> act,
        CancellationToken cancellationToken)
    {
        var shortId = ReplicaLabels.Short(engineId);
        DockerLog.ReplicaAction(_logger, action, shortId, containerId);
        try
        {
            var acted = await _docker.CallAsync($"{action} replica {shortId}", (client, ct) => act(client, engineId, ct), cancellationToken, HttpStatusCode.NotFound)
                .ConfigureAwait(false);
            return (engineId, acted, null);
        }
        catch (EngineUnavailableException e) when (e.InnerException is DockerApiException)
        {
            return (engineId, false, e);
        }
    }

    private async Task<IList<ContainerListResponse>> ListAsync(Guid? containerId, CancellationToken cancellationToken)
    {
        var parameters = new ContainersListParameters { All = true, Filters = ReplicaLabels.Filter(_instanceId, containerId) };
        var containers = await _docker.CallAsync("list replicas", (client, ct) => client.Containers.ListContainersAsync(parameters, ct), cancellationToken)
            .ConfigureAwait(false);
        return containers ?? [];
    }

    private async Task<IReadOnlyList<ReplicaObservation>> ObserveReplicasAsync(IEnumerable<ContainerListResponse> containers, CancellationToken cancellationToken)
    {
        var replicas = containers.Select(ReplicaMapper.Map).OfType<ReplicaObservation>().OrderBy(r => r.Index).ToArray();
        for (var i = 0; i < replicas.Length; i++)
        {
            if (replicas[i].State is not (ReplicaState.Exited or ReplicaState.Dead))
            {
                _oomKilled.TryRemove(replicas[i].EngineId, out _);
            }
        }

        // The list does not say whether the kernel's OOM killer ended a replica; an inspect does. Only
        // a SIGKILL exit (137) can be one, and each such exit is asked about once.
        var unknown = replicas.Where(r => r.ExitCode == 137 && !_oomKilled.ContainsKey(r.EngineId)).ToList();
        if (unknown.Count > 0)
        {
            await Task.WhenAll(unknown.Select(async replica =>
            {
                if (await InspectAsync(replica.EngineId, cancellationToken).ConfigureAwait(false) is null)
                {
                    _oomKilled[replica.EngineId] = false;
                }
            })).ConfigureAwait(false);
        }

        for (var i = 0; i < replicas.Length; i++)
        {
            if (_oomKilled.TryGetValue(replicas[i].EngineId, out var oomKilled) && oomKilled)
            {
                replicas[i] = replicas[i] with { OomKilled = true };
            }
        }
        return replicas;
    }

    private WorkloadObservation Remember(WorkloadObservation observation)
    {
        if (observation.Exists)
        {
            _replicaIds[observation.ContainerId] = [.. observation.Replicas.Select(r => r.EngineId)];
        }
        else
        {
            _replicaIds.TryRemove(observation.ContainerId, out _);
        }
        return observation;
    }

    private async Task<ReplicaObservation> CreateReplicaAsync(WorkloadSpec spec, int index, Lazy<Task> pull, CancellationToken cancellationToken)
    {
        Task<CreateContainerResponse?> Create() => CreateWithDiskLimitAsync(spec, index, cancellationToken);

        // Creating first and pulling only on "no such image" saves a round trip in the usual case.
        var created = await Create().ConfigureAwait(false);
        if (created is null)
        {
            await pull.Value.ConfigureAwait(false);
            created = await Create().ConfigureAwait(false)
                ?? throw ImageNotFound(spec.Image, "the engine still lacks it after pulling");
        }
        DockerLog.ReplicaCreated(_logger, spec.ContainerId, index, ReplicaLabels.Short(created.ID));
        return new ReplicaObservation(created.ID, index, ReplicaState.Created);
    }

    /// <summary>
    /// Creates with a disk size limit when the storage driver enforces one (overlay2 does only on xfs with
    /// project quotas). Whether it does is asked once per engine, with an unlabelled throwaway create, so
    /// that a refusal never shows up among Berth's own replicas and their events.
    /// </summary>
    private async Task<CreateContainerResponse?> CreateWithDiskLimitAsync(WorkloadSpec spec, int index, CancellationToken cancellationToken)
    {
        var limitDisk = await DiskLimitsEnforcedAsync(spec.Image, cancellationToken).ConfigureAwait(false);
        var parameters = ReplicaBlueprint.For(spec, _instanceId, index, limitDisk);
        return await _docker.CallAsync($"create replica {index}", (client, ct) => client.Containers.CreateContainerAsync(parameters, ct),
            cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
    }

    private async Task<bool> DiskLimitsEnforcedAsync(string image, CancellationToken cancellationToken)
    {
        if (_diskLimits != 0)
        {
            return _diskLimits == 1;
        }
        await _diskProbe.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_diskLimits != 0)
            {
                return _diskLimits == 1;
            }
            var probe = new CreateContainerParameters
            {
                Image = image,
                HostConfig = new HostConfig { StorageOpt = new Dictionary<string, string>(StringComparer.Ordinal) { ["size"] = "1G" } },
            };
            bool enforced;
            try
            {
                var created = await _docker.CallAsync("probe disk limits", (client, ct) => client.Containers.CreateContainerAsync(probe, ct),
                    cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
                if (created is null)
                {
                    // The image is not here yet; ask again with the next create.
                    return false;
                }
                await _docker.CallAsync("remove disk-limit probe", (client, ct) => client.Containers.RemoveContainerAsync(
                    created.ID, new ContainerRemoveParameters { Force = true }, ct), cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
                enforced = true;
            }
            catch (EngineUnavailableException e) when (e.InnerException is DockerApiException api
                && DockerConnection.EngineMessage(api).Contains("storage-opt", StringComparison.OrdinalIgnoreCase))
            {
                enforced = false;
            }
            _diskLimits = enforced ? 1 : 2;
            DockerLog.DiskLimits(_logger, enforced);
            return enforced;
        }
        finally
        {
            _diskProbe.Release();
        }
    }

    private async Task PullAsync(string image, CancellationToken cancellationToken)
    {
        DockerLog.PullingImage(_logger, image);
        var (name, tag) = ImageReference.Split(image);
        string? streamError = null;
        var progress = new SynchronousProgress<JSONMessage>(message =>
            streamError ??= message.Error?.Message is { Length: > 0 } error ? error : null);
        try
        {
            await _docker.CallAsync($"pull image {image}", (client, ct) =>
                client.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = name, Tag = tag }, null, progress, ct), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (EngineUnavailableException e) when (e.InnerException is DockerApiException api)
        {
            throw ImageNotFound(image, DockerConnection.EngineMessage(api));
        }
        if (streamError is not null)
        {
            throw ImageNotFound(image, streamError);
        }
    }

    private EngineUnavailableException ImageNotFound(string image, string reason)
    {
        DockerLog.PullFailed(_logger, image, reason);
        return new EngineUnavailableException(
            $"Image '{image}' could not be found: it is not on the Docker engine at {_docker.Endpoint} and pulling it failed ({reason}).");
    }

    private async Task DeleteReplicaAsync(Guid containerId, string engineId, CancellationToken cancellationToken)
    {
        // Force stops a running replica on the way; anonymous volumes go with it. Gone already (404)
        // or being removed by someone else (409) both end where this call wants to be.
        var removed = await _docker.CallAsync($"remove replica {ReplicaLabels.Short(engineId)}", (client, ct) =>
            client.Containers.RemoveContainerAsync(engineId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct),
            cancellationToken, HttpStatusCode.NotFound, HttpStatusCode.Conflict).ConfigureAwait(false);
        _oomKilled.TryRemove(engineId, out _);
        if (removed)
        {
            DockerLog.ReplicaRemoved(_logger, containerId, ReplicaLabels.Short(engineId));
        }
    }

    /// <summary>Reports progress on the caller's thread, unlike <see cref="Progress{T}"/> which posts it later.</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
