using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Berth.Bench;

/// <summary>
/// The Docker Engine API without Berth: the reference for lifecycle latency, the tool of the external
/// kill, and the cleaner of everything the run left behind.
/// </summary>
internal sealed class DirectDocker : IDisposable
{
    /// <summary>Marks the containers this bench creates itself; the value is the run id.</summary>
    public const string BenchLabel = "berth.bench";

    private readonly DockerClient _client;
    private readonly string _runId;

    public DirectDocker(string endpoint, string runId)
    {
        Endpoint = endpoint;
        _runId = runId;
        _client = new DockerClientBuilder()
            .WithEndpoint(new Uri(endpoint))
            .WithApiVersion(new System.Version(1, 41))
            .Build();
    }

    public string Endpoint { get; }

    public async Task<string> VersionAsync(CancellationToken cancellationToken)
    {
        try
        {
            var version = await _client.System.GetVersionAsync(cancellationToken);
            return $"{version.Version} (API {version.APIVersion})";
        }
        catch (Exception e) when (e is HttpRequestException or IOException or DockerApiException or TimeoutException
            or System.Net.Sockets.SocketException)
        {
            throw new BenchException($"The Docker engine at {Endpoint} does not answer: {e.Message}", e);
        }
    }

    /// <summary>
    /// A plain running container of the image, with the one setting that gives stop the same meaning as
    /// in Berth: an init process that forwards SIGTERM (PID 1 `sleep` would ignore it and wait out the grace).
    /// </summary>
    public async Task<string> CreateRunningAsync(string image, string name, CancellationToken cancellationToken, IList<string>? command = null)
    {
        var created = await _client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = name,
            Image = image,
            Cmd = command!,
            Labels = new Dictionary<string, string>(StringComparer.Ordinal) { [BenchLabel] = _runId },
            HostConfig = new HostConfig
            {
                Init = true,
                RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.No },
            },
        }, cancellationToken);
        await _client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
        return created.ID;
    }

    public Task StartAsync(string id, CancellationToken cancellationToken) =>
        _client.Containers.StartContainerAsync(id, new ContainerStartParameters(), cancellationToken);

    public Task StopAsync(string id, int graceSeconds, CancellationToken cancellationToken) =>
        _client.Containers.StopContainerAsync(id, new ContainerStopParameters { WaitBeforeKillSeconds = (uint)graceSeconds }, cancellationToken);

    public Task PauseAsync(string id, CancellationToken cancellationToken) =>
        _client.Containers.PauseContainerAsync(id, cancellationToken);

    public Task UnpauseAsync(string id, CancellationToken cancellationToken) =>
        _client.Containers.UnpauseContainerAsync(id, cancellationToken);

    /// <summary>The engine id of replica 0 of a Berth container, found the way Berth finds it: by label.</summary>
    public async Task<string> FindReplicaAsync(string containerId, CancellationToken cancellationToken)
    {
        var found = await ListAsync("berth.container", containerId, cancellationToken);
        var replica = found.FirstOrDefault(c => c.Labels.TryGetValue("berth.replica", out var index) && index == "0") ?? found.FirstOrDefault();
        return replica?.ID ?? throw new BenchException($"No engine container carries the label berth.container={containerId}.");
    }

    /// <summary>
    /// The host port the engine published for <paramref name="containerPort"/>/tcp of a replica (Berth publishes on
    /// 127.0.0.1 only): the way to reach the replica directly, without the ingress.
    /// </summary>
    public async Task<int> PublishedPortAsync(string engineId, int containerPort, CancellationToken cancellationToken)
    {
        var inspect = await _client.Containers.InspectContainerAsync(engineId, cancellationToken);
        var key = $"{containerPort}/tcp";
        if (inspect.NetworkSettings?.Ports is { } ports && ports.TryGetValue(key, out var bindings) && bindings is not null)
        {
            foreach (var binding in bindings)
            {
                if (int.TryParse(binding.HostPort, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port > 0)
                {
                    return port;
                }
            }
        }
        throw new BenchException($"Replica {engineId} has no published host port for {key}.");
    }

    public async Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken)
    {
        try
        {
            await _client.Images.InspectImageAsync(image, cancellationToken);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL, as `docker kill` sends it; returns how long the call took.</summary>
    public async Task<TimeSpan> KillAsync(string engineId, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await _client.Containers.KillContainerAsync(engineId, new ContainerKillParameters { Signal = "KILL" }, cancellationToken);
        return clock.Elapsed;
    }

    /// <summary>
    /// Runs a command to its end as Berth's command runner does it: exec create, start attached, read the
    /// output to its end, then inspect until the exit code is known.
    /// </summary>
    public async Task<(long ExitCode, string Output)> ExecAsync(string engineId, IList<string> argv, CancellationToken cancellationToken)
    {
        var created = await _client.Exec.CreateContainerExecAsync(engineId, new ContainerExecCreateParameters
        {
            Cmd = argv,
            AttachStdout = true,
            AttachStderr = true,
        }, cancellationToken);
        var output = new System.Text.StringBuilder();
        using (var stream = await _client.Exec.StartContainerExecAsync(created.ID, new ContainerExecStartParameters { Detach = false }, cancellationToken))
        {
            var buffer = new byte[16 * 1024];
            while (true)
            {
                var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken);
                if (read.EOF)
                {
                    break;
                }
                output.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, read.Count));
            }
        }
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var inspected = await _client.Exec.InspectContainerExecAsync(created.ID, cancellationToken);
            if (!inspected.Running)
            {
                return (inspected.ExitCode ?? -1, output.ToString());
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new BenchException($"Exec {created.ID} of {argv[0]} still runs 30 s after its output ended.");
            }
            await Task.Delay(2, cancellationToken);
        }
    }

    /// <summary>Starts a long-running exec whose stdin the caller writes to; its output is not read.</summary>
    public async Task<MultiplexedStream> StartWithStdinAsync(string engineId, IList<string> argv, CancellationToken cancellationToken)
    {
        var created = await _client.Exec.CreateContainerExecAsync(engineId, new ContainerExecCreateParameters
        {
            Cmd = argv,
            AttachStdin = true,
            AttachStdout = true,
            AttachStderr = true,
        }, cancellationToken);
        return await _client.Exec.StartContainerExecAsync(created.ID, new ContainerExecStartParameters { Detach = false }, cancellationToken);
    }

    /// <summary>`docker logs -f --tail N`: the engine's own follow stream of a container's output.</summary>
    public Task<MultiplexedStream> FollowLogsAsync(string engineId, string tail, CancellationToken cancellationToken) =>
        _client.Containers.GetContainerLogsAsync(engineId, new ContainerLogsParameters
        {
            ShowStdout = true,
            ShowStderr = true,
            Follow = true,
            Tail = tail,
        }, cancellationToken);

    /// <summary>
    /// How many processes in the container have a terminal (a pseudo-terminal on stdin): what terminal
    /// sessions start, and what must be gone once they are closed. The counting exec has none.
    /// </summary>
    public async Task<int> TerminalProcessCountAsync(string engineId, CancellationToken cancellationToken)
    {
        const string script = "n=0; for p in /proc/[0-9]*; do case \"$(readlink $p/fd/0 2>/dev/null)\" in /dev/pts/*) n=$((n+1));; esac; done; echo $n";
        var (code, output) = await ExecAsync(engineId, ["sh", "-c", script], cancellationToken);
        return code == 0 && int.TryParse(output.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new BenchException($"Counting the processes of {engineId} failed (exit {code}): {output.Trim()}");
    }

    /// <summary>Removes, by force, every container carrying one of these labels. Never throws: it runs during cleanup.</summary>
    public async Task<int> RemoveLabelledAsync(IEnumerable<(string Key, string Value)> labels, CancellationToken cancellationToken)
    {
        var removed = 0;
        foreach (var (key, value) in labels)
        {
            try
            {
                foreach (var container in await ListAsync(key, value, cancellationToken))
                {
                    try
                    {
                        await _client.Containers.RemoveContainerAsync(container.ID,
                            new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken);
                        removed++;
                    }
                    catch (DockerContainerNotFoundException)
                    {
                        // Gone already (removed through another label of the same run).
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.Info($"cleanup: removing containers labelled {key}={value} failed: {e.Message}");
            }
        }
        return removed;
    }

    public void Dispose() => _client.Dispose();

    private async Task<IList<ContainerListResponse>> ListAsync(string key, string value, CancellationToken cancellationToken) =>
        await _client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>(StringComparer.Ordinal)
            {
                ["label"] = new Dictionary<string, bool>(StringComparer.Ordinal) { [$"{key}={value}"] = true },
            },
        }, cancellationToken);
}
