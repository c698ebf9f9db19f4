using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests.Deployments;

/// <summary>Deployment calls the tests make over and over, through the public API only.</summary>
public static class DeploymentClient
{
    public static readonly TimeSpan DeployTimeout = TimeSpan.FromSeconds(120);

    public static string NewDomain() => $"{Guid.NewGuid():N}.berth.test";

    /// <summary>A web service of <paramref name="replicas"/> replicas with a health check and one domain, running.</summary>
    public static async Task<JsonElement> CreateWebAsync(
        this HttpClient client, string domain, int replicas = 1, object? env = null, object? volumes = null, string image = WebImages.V1)
    {
        var created = await client.CreateAsync(new
        {
            hostname = ContainerClient.NewHostname("web"),
            image,
            port = WebImages.Port,
            replicas,
            memory_mb = 64,
            cpu_cores = 0.2,
            health_check = new { path = "/health", interval = 1, timeout = 2, start_window = 30 },
            domains = new[] { domain },
            env,
            volumes,
        });
        return await client.WaitForStateAsync(created.Id(), "running");
    }

    public static async Task<JsonElement> DeployAsync(this HttpClient client, string containerId, string? image = null)
    {
        var response = await client.PostAsJsonAsync($"/api/v1/containers/{containerId}/deploy", new { image });
        var deployment = await response.ReadDataAsync(HttpStatusCode.Accepted);
        Assert.Equal("in_progress", deployment.GetProperty("status").GetString());
        return deployment;
    }

    public static async Task<JsonElement> GetDeploymentAsync(this HttpClient client, string deploymentId) =>
        await (await client.GetAsync($"/api/v1/deployments/{deploymentId}")).ReadDataAsync();

    public static Task<JsonElement> WaitFinishedAsync(this HttpClient client, string deploymentId) =>
        Eventually.UntilAsync(
            () => client.GetDeploymentAsync(deploymentId),
            d => d.GetProperty("status").GetString() != "in_progress",
            DeployTimeout,
            $"deployment {deploymentId} to finish");

    public static string Status(this JsonElement deployment) => deployment.GetProperty("status").GetString()!;

    /// <summary>The images (engine ids) and env of the container's replicas, straight from the engine.</summary>
    public static async Task<IReadOnlyList<(string Name, string ImageId, IList<string> Env)>> ReplicaDetailsAsync(string containerId)
    {
        var replicas = await DockerProbe.ReplicasAsync(containerId);
        var details = new List<(string, string, IList<string>)>();
        foreach (var replica in replicas.Where(r => r.State == "running"))
        {
            var inspect = await DockerProbe.Client.Containers.InspectContainerAsync(replica.ID);
            details.Add((inspect.Name.TrimStart('/'), inspect.Image, inspect.Config?.Env ?? []));
        }
        return details;
    }

    public static async Task<string> ImageIdAsync(string image) =>
        (await DockerProbe.Client.Images.InspectImageAsync(image)).ID;
}

/// <summary>Steady load through the ingress on one host, counting every answer that is not a 200.</summary>
public sealed class IngressLoad : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly string _host;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers;
    private readonly List<string> _failures = [];
    private long _sent;

    public IngressLoad(HttpClient ingress, string host, int concurrency = 4)
    {
        _client = ingress;
        _host = host;
        _workers = [.. Enumerable.Range(0, concurrency).Select(_ => Task.Run(LoopAsync))];
    }

    public long Sent => Interlocked.Read(ref _sent);

    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_failures)
            {
                return [.. _failures];
            }
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Host = _host;
            try
            {
                using var response = await _client.SendAsync(request, CancellationToken.None);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Fail($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
            catch (HttpRequestException e)
            {
                Fail(e.Message);
            }
            Interlocked.Increment(ref _sent);
        }
    }

    private void Fail(string what)
    {
        lock (_failures)
        {
            _failures.Add(what);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }
        _stop.Dispose();
    }
}

public static class IngressRequests
{
    public static async Task<string> GetViaIngressAsync(this HttpClient ingress, string host, string path = "/")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        using var response = await ingress.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadAsStringAsync()).Trim();
    }
}
