using System.Globalization;
using Berth.Core.Containers;
using Berth.Core.Engine;
using Berth.Core.Lifecycle;

namespace Berth.Core.Deployments;

/// <summary>Asks one replica whether it is healthy: an HTTP GET through its port published on 127.0.0.1.</summary>
public interface IReplicaHealthProbe
{
    /// <summary>Null when healthy, else a short sentence saying what was wrong.</summary>
    Task<string?> ProbeAsync(int hostPort, HealthCheck check, CancellationToken cancellationToken);
}

/// <summary>The probe over HTTP/1.1 with pooled connections; a 2xx or 3xx answer within the timeout is healthy.</summary>
public sealed class HttpReplicaHealthProbe : IReplicaHealthProbe, IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task<string?> ProbeAsync(int hostPort, HealthCheck check, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(check.TimeoutSeconds));
        var url = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{hostPort}{check.Path}"));
        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            return status is >= 200 and < 400 ? null : $"GET {check.Path} answered {status}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"GET {check.Path} did not answer within {check.TimeoutSeconds} s";
        }
        catch (HttpRequestException e)
        {
            return $"GET {check.Path} failed: {e.Message}";
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Waits until a freshly started replica is ready for traffic, or says why it never was.</summary>
public sealed class ReplicaHealthGate(IContainerEngine engine, IReplicaHealthProbe probe, TimeProvider time)
{
    /// <summary>
    /// During the start window the probe runs at most 250 ms apart (the configured interval is for a
    /// replica in service), so a deploy moves on as soon as a replica answers.
    /// </summary>
    private static readonly TimeSpan MaxStartProbeGap = TimeSpan.FromMilliseconds(250);

    /// <summary>Throws <see cref="DeploymentFailedException"/> when the replica exits or is not healthy within the window.</summary>
    public async Task WaitHealthyAsync(Guid containerId, ReplicaObservation replica, HealthCheck? check, CancellationToken cancellationToken)
    {
        var window = TimeSpan.FromSeconds(check?.StartWindowSeconds ?? 60);
        var deadline = time.GetUtcNow() + window;
        var gap = check is null ? TimeSpan.FromMilliseconds(250) : Min(TimeSpan.FromSeconds(check.IntervalSeconds), MaxStartProbeGap);
        var successes = 0;
        string? last = null;
        var current = replica;
        while (true)
        {
            if (current.State is ReplicaState.Exited or ReplicaState.Dead)
            {
                throw new DeploymentFailedException($"{Verdicts.DescribeExit(current)} before it became healthy");
            }
            if (current.State == ReplicaState.Running)
            {
                if (check is null)
                {
                    return;
                }
                if (current.HostPort is not { } port)
                {
                    throw new DeploymentFailedException($"Replica {current.Index} has no port published on 127.0.0.1 to probe");
                }
                last = await probe.ProbeAsync(port, check, cancellationToken).ConfigureAwait(false);
                successes = last is null ? successes + 1 : 0;
                if (successes >= check.HealthyThreshold)
                {
                    return;
                }
            }
            if (time.GetUtcNow() >= deadline)
            {
                throw new DeploymentFailedException(
                    $"Replica {current.Index} did not become healthy within {window.TotalSeconds:0} s" + (last is null ? "" : $" (last probe: {last})"));
            }
            await Task.Delay(gap, time, cancellationToken).ConfigureAwait(false);
            var observed = await engine.ObserveAsync(containerId, cancellationToken).ConfigureAwait(false);
            current = observed.Replicas.FirstOrDefault(r => r.EngineId == replica.EngineId)
                ?? throw new DeploymentFailedException($"Replica {replica.Index} disappeared from the engine before it became healthy");
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}

/// <summary>A rollout step failed in a way that rolls the deployment back; the message is the reason.</summary>
public sealed class DeploymentFailedException(string message) : Exception(message);
