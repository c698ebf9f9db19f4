using System.Net;
using Berth.Api.Tests.Infrastructure;
using Berth.Core.Ingress;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Api.Tests.Ingress;

/// <summary>The ingress against real replicas of the test web images, started straight on the engine.</summary>
public sealed class IngressTests(BerthServer server) : IClassFixture<BerthServer>, IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private readonly WebReplicas _replicas = new();
    private readonly HttpClient _ingress = server.IngressClient();
    private readonly IIngressRoutes _routes = server.Services.GetRequiredService<IIngressRoutes>();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _ingress.Dispose();
        await _replicas.DisposeAsync();
    }

    [Fact]
    public async Task PublishAsync_TwoContainers_EachHostReachesItsOwnReplica()
    {
        var a = await _replicas.StartAsync(WebImages.V1, "a-0", "from-a");
        var b = await _replicas.StartAsync(WebImages.V2, "b-0", "from-b");
        var (containerA, hostA) = NewContainer();
        var (containerB, hostB) = NewContainer();

        await PublishAsync(containerA, hostA, a.Backend);
        await PublishAsync(containerB, hostB, b.Backend);

        Assert.Equal("v1 a-0 from-a", await WhoAmIAsync(hostA));
        Assert.Equal("v2 b-0 from-b", await WhoAmIAsync(hostB));
        // Host matches whatever its case, and the port in the Host header does not matter.
        Assert.Equal("v1 a-0 from-a", await WhoAmIAsync(hostA.ToUpperInvariant() + ":8081"));
        Assert.Equal([a.Backend], _routes.BackendsOf(containerA));
    }

    [Fact]
    public async Task PublishAsync_TwoBackends_RoundRobinReachesBoth()
    {
        var first = await _replicas.StartAsync(WebImages.V1, "rr-0");
        var second = await _replicas.StartAsync(WebImages.V1, "rr-1");
        var (container, host) = NewContainer();

        await PublishAsync(container, host, first.Backend, second.Backend);

        var seen = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            seen.Add(await WhoAmIAsync(host));
        }
        Assert.Equal(3, seen.Count(s => s == "v1 rr-0 hello"));
        Assert.Equal(3, seen.Count(s => s == "v1 rr-1 hello"));
    }

    [Fact]
    public async Task Request_UnknownHost_Answers404Envelope()
    {
        using var response = await SendAsync($"nobody-{Guid.NewGuid():N}.example.test", "/");

        var error = await response.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Contains("nobody-", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoveAsync_PublishedHost_Answers404()
    {
        var replica = await _replicas.StartAsync(WebImages.V1, "rm-0");
        var (container, host) = NewContainer();
        await PublishAsync(container, host, replica.Backend);
        Assert.Equal("v1 rm-0 hello", await WhoAmIAsync(host));

        await _routes.RemoveAsync(container, CancellationToken.None).WaitAsync(s_timeout);

        using var response = await SendAsync(host, "/cgi-bin/whoami");
        await response.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Empty(_routes.BackendsOf(container));
    }

    [Fact]
    public async Task PublishAsync_NoBackends_Answers503()
    {
        var (container, host) = NewContainer();

        await PublishAsync(container, host);

        using var response = await SendAsync(host, "/");
        await response.AssertErrorAsync(HttpStatusCode.ServiceUnavailable, "EXTERNAL_SERVICE_ERROR");
    }

    [Fact]
    public async Task DrainAsync_RequestInFlight_CompletesAfterItAndNewRequestsGoElsewhere()
    {
        var old = await _replicas.StartAsync(WebImages.V1, "drain-old");
        var fresh = await _replicas.StartAsync(WebImages.V2, "drain-new");
        var (container, host) = NewContainer();
        await PublishAsync(container, host, old.Backend);

        var slow = SendAsync(host, "/cgi-bin/slow?4");
        await DockerProbe.WaitForProcessAsync(old.EngineId, "sleep");
        await PublishAsync(container, host, fresh.Backend);
        var drain = _routes.DrainAsync(old.Name, s_timeout, CancellationToken.None);

        Assert.Equal("v2 drain-new hello", await WhoAmIAsync(host));
        Assert.Equal("v2 drain-new hello", await WhoAmIAsync(host));
        Assert.False(drain.IsCompleted, "the drain completed while a request to the replica was in flight");
        // Checked after the drain: the slow request was really still running while the drain waited.
        await DockerProbe.WaitForProcessAsync(old.EngineId, "sleep");

        await drain.WaitAsync(s_timeout);
        using var response = await slow.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("v1 drain-old hello", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task DrainAsync_RequestOutlastsTimeout_CompletesAtTimeout()
    {
        var replica = await _replicas.StartAsync(WebImages.V1, "late-0");
        var (container, host) = NewContainer();
        await PublishAsync(container, host, replica.Backend);
        var slow = SendAsync(host, "/cgi-bin/slow?10");
        await DockerProbe.WaitForProcessAsync(replica.EngineId, "sleep");
        await PublishAsync(container, host);

        await _routes.DrainAsync(replica.Name, TimeSpan.FromMilliseconds(300), CancellationToken.None).WaitAsync(s_timeout);

        Assert.False(slow.IsCompleted, "the drain waited for the request instead of its timeout");
    }

    [Fact]
    public async Task Swap_V1ToV2UnderLoad_NoRequestFails()
    {
        var v1 = await _replicas.StartAsync(WebImages.V1, "swap-v1");
        var (container, host) = NewContainer();
        await PublishAsync(container, host, v1.Backend);

        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(_ => LoadAsync(host, stop.Token)).ToArray();
        await Eventually.UntilAsync(() => Task.FromResult(load.Sum(l => l.Results.Count)), n => n >= 20, s_timeout, "the first answers from v1");

        var v2 = await _replicas.StartAsync(WebImages.V2, "swap-v2");
        await PublishAsync(container, host, v2.Backend, v1.Backend);
        await PublishAsync(container, host, v2.Backend);
        await _routes.DrainAsync(v1.Name, s_timeout, CancellationToken.None).WaitAsync(s_timeout);
        await WebReplicas.StopAsync(v1);
        var afterStop = load.Sum(l => l.Results.Count);
        await Eventually.UntilAsync(() => Task.FromResult(load.Sum(l => l.Results.Count)), n => n >= afterStop + 20, s_timeout, "answers after v1 stopped");
        await stop.CancelAsync();
        await Task.WhenAll(load.Select(l => l.Running)).WaitAsync(s_timeout);

        var results = load.SelectMany(l => l.Results).ToList();
        var failures = results.Where(r => r is not ("v1" or "v2")).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} of {results.Count} requests failed: {string.Join(", ", failures.Distinct())}");
        Assert.Contains("v1", results);
        Assert.Contains("v2", results);
        Assert.All(load, l => Assert.Equal("v2", l.Results[^1]));
    }

    private static (Guid Container, string Host) NewContainer()
    {
        var container = Guid.NewGuid();
        return (container, $"app-{container:N}.example.test");
    }

    private async Task PublishAsync(Guid container, string host, params IngressBackend[] backends) =>
        await _routes.PublishAsync(container, [host], backends, CancellationToken.None).WaitAsync(s_timeout);

    private async Task<HttpResponseMessage> SendAsync(string host, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        return await _ingress.SendAsync(request);
    }

    private async Task<string> WhoAmIAsync(string host)
    {
        using var response = await SendAsync(host, "/cgi-bin/whoami");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} from {host}: {body}");
        return body;
    }

    /// <summary>One client sending requests back to back; records each body, or the failure.</summary>
    private Load LoadAsync(string host, CancellationToken stop)
    {
        var results = new List<string>();
        return new Load(results, Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                string result;
                try
                {
                    using var response = await SendAsync(host, "/");
                    var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                    result = response.StatusCode == HttpStatusCode.OK ? body : $"{(int)response.StatusCode}: {body}";
                }
                catch (HttpRequestException e)
                {
                    result = e.Message;
                }
                lock (results)
                {
                    results.Add(result);
                }
            }
        }, CancellationToken.None));
    }

    private sealed record Load(List<string> Results, Task Running);
}
