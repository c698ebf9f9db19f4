using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests.Deployments;

/// <summary>Rolling deploys, rollback, cancel and history on the real engine, reached through the real ingress.</summary>
public sealed class DeploymentsApiTests(BerthServer server) : IClassFixture<BerthServer>
{
    [Fact]
    public async Task Deploy_NewImageAcrossThreeReplicasUnderLoad_SucceedsWithoutAFailedRequest()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var domain = DeploymentClient.NewDomain();
        var web = await client.CreateWebAsync(domain, replicas: 3);
        using var ingress = server.IngressClient();
        Assert.Equal("v1", await Eventually.UntilAsync(() => ingress.GetViaIngressAsync(domain), body => body == "v1",
            TimeSpan.FromSeconds(30), "the ingress to route the new domain"));

        await using var load = new IngressLoad(ingress, domain);
        var started = await client.DeployAsync(web.Id(), WebImages.V2);
        Assert.Equal(WebImages.V1, started.GetProperty("previous_image").GetString());
        Assert.Equal(WebImages.V2, started.GetProperty("new_image").GetString());
        Assert.NotEqual(JsonValueKind.Null, started.GetProperty("triggered_at").ValueKind);
        Assert.Equal("deploying", (await client.GetContainerAsync(web.Id())).State());

        var done = await client.WaitFinishedAsync(started.Id());
        await Eventually.UntilAsync(() => ingress.GetViaIngressAsync(domain), body => body == "v2", TimeSpan.FromSeconds(10), "v2 through the ingress");
        await load.StopAsync();

        Assert.Equal("succeeded", done.Status());
        Assert.True(load.Sent > 20, $"only {load.Sent} requests were sent during the deploy");
        Assert.Empty(load.Failures);
        var container = await client.WaitForStateAsync(web.Id(), "running");
        Assert.Equal(WebImages.V2, container.GetProperty("image").GetString());
        Assert.NotEqual(JsonValueKind.Null, container.GetProperty("last_deployed_at").ValueKind);
        var replicas = await DeploymentClient.ReplicaDetailsAsync(web.Id());
        var v2 = await DeploymentClient.ImageIdAsync(WebImages.V2);
        Assert.Equal(3, replicas.Count);
        Assert.All(replicas, r => Assert.Equal(v2, r.ImageId));
        Assert.Contains(done.GetProperty("steps").EnumerateArray(), s => s.GetProperty("message").GetString()!.Contains("drained", StringComparison.Ordinal));

        // The ingress balances over the replicas: each names itself.
        var names = new HashSet<string>();
        for (var i = 0; i < 12; i++)
        {
            names.Add((await ingress.GetViaIngressAsync(domain, "/cgi-bin/whoami")).Split(' ')[1]);
        }
        Assert.Equal(replicas.Select(r => r.Name).ToHashSet(), names);
    }

    [Fact]
    public async Task Deploy_HealthCheckFails_RolledBackWithOldReplicasServing()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var domain = DeploymentClient.NewDomain();
        var web = await client.CreateWebAsync(domain, replicas: 2);
        var before = (await DockerProbe.ReplicasAsync(web.Id())).Select(r => r.ID).ToHashSet();
        await Patch(client, web.Id(), new { health_check = new { path = "/health", interval = 1, start_window = 3 } });
        using var ingress = server.IngressClient();
        await Eventually.UntilAsync(() => ingress.GetViaIngressAsync(domain), body => body == "v1", TimeSpan.FromSeconds(30), "v1 through the ingress");

        await using var load = new IngressLoad(ingress, domain);
        var started = await client.DeployAsync(web.Id(), WebImages.Broken);
        var done = await client.WaitFinishedAsync(started.Id());
        await load.StopAsync();

        Assert.Equal("rolled_back", done.Status());
        Assert.Contains("did not become healthy", done.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Empty(load.Failures);
        var container = await client.WaitForStateAsync(web.Id(), "running");
        Assert.Equal(WebImages.V1, container.GetProperty("image").GetString());
        var after = (await DockerProbe.ReplicasAsync(web.Id())).Where(r => r.State == "running").Select(r => r.ID).ToHashSet();
        Assert.Equal(before, after);
        Assert.Equal("v1", await ingress.GetViaIngressAsync(domain));
    }

    [Fact]
    public async Task Cancel_InProgressDeploy_CanceledAndPreviousVersionServing()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var domain = DeploymentClient.NewDomain();
        var web = await client.CreateWebAsync(domain);
        var before = (await DockerProbe.ReplicasAsync(web.Id())).Select(r => r.ID).ToHashSet();
        // Never healthy and a long window: the deploy waits until it is canceled.
        await Patch(client, web.Id(), new { image = WebImages.Broken, health_check = new { path = "/health", interval = 1, start_window = 600 } });
        var started = await client.DeployAsync(web.Id());
        await Eventually.UntilAsync(() => client.GetDeploymentAsync(started.Id()),
            d => d.GetProperty("steps").GetArrayLength() > 0, TimeSpan.FromSeconds(30), "the deploy to start a replica");

        var second = await client.PostAsJsonAsync($"/api/v1/containers/{web.Id()}/deploy", new { });
        await second.AssertErrorAsync(HttpStatusCode.BadRequest, "OPERATION_STATE_CONFLICT");

        var canceled = await (await client.PostAsync($"/api/v1/deployments/{started.Id()}/cancel", null)).ReadDataAsync();

        Assert.Equal("canceled", canceled.Status());
        Assert.Contains("Canceled by", canceled.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var container = await client.GetContainerAsync(web.Id());
        Assert.Equal("running", container.State());
        Assert.Equal(WebImages.V1, container.GetProperty("image").GetString());
        Assert.True(container.GetProperty("has_pending_changes").GetBoolean());
        Assert.Equal(before, (await DockerProbe.ReplicasAsync(web.Id())).Select(r => r.ID).ToHashSet());
        using var ingress = server.IngressClient();
        Assert.Equal("v1", await ingress.GetViaIngressAsync(domain));
        var again = await client.PostAsync($"/api/v1/deployments/{started.Id()}/cancel", null);
        await again.AssertErrorAsync(HttpStatusCode.BadRequest, "OPERATION_STATE_CONFLICT");
    }

    [Fact]
    public async Task Stop_WhileDeploying_CancelsTheDeployFirstThenStops()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var web = await client.CreateWebAsync(DeploymentClient.NewDomain());
        await Patch(client, web.Id(), new { image = WebImages.Broken, health_check = new { path = "/health", interval = 1, start_window = 600 } });
        var started = await client.DeployAsync(web.Id());
        await Eventually.UntilAsync(() => client.GetDeploymentAsync(started.Id()),
            d => d.GetProperty("steps").GetArrayLength() > 0, TimeSpan.FromSeconds(30), "the deploy to start a replica");

        var stopped = await client.OperateAsync(web.Id(), "stop");

        Assert.Equal("stopped", stopped.State());
        var deployment = await client.GetDeploymentAsync(started.Id());
        Assert.Equal("canceled", deployment.Status());
        var replicas = await DockerProbe.ReplicasAsync(web.Id());
        Assert.Single(replicas);
        Assert.Equal("exited", replicas[0].State);
        Assert.Equal(await DeploymentClient.ImageIdAsync(WebImages.V1), replicas[0].ImageID);
    }

    [Fact]
    public async Task Rollback_ToAnOlderDeployment_RestoresItsImageAndEnv()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var web = await client.CreateWebAsync(DeploymentClient.NewDomain(), env: new[] { new { key = "GREETING", value = "first" } });
        var first = await client.WaitFinishedAsync((await client.DeployAsync(web.Id(), WebImages.V2)).Id());
        Assert.Equal("succeeded", first.Status());
        await Patch(client, web.Id(), new { image = WebImages.V1, env = new[] { new { key = "GREETING", value = "second" } } });
        var second = await client.WaitFinishedAsync((await client.DeployAsync(web.Id())).Id());
        Assert.Equal("succeeded", second.Status());
        Assert.All(await DeploymentClient.ReplicaDetailsAsync(web.Id()), r => Assert.Contains("GREETING=second", r.Env));

        var response = await client.PostAsync($"/api/v1/deployments/{first.Id()}/rollback", null);
        var rollback = await response.ReadDataAsync(HttpStatusCode.Accepted);
        Assert.Equal(first.Id(), rollback.GetProperty("rollback_of").GetString());
        var done = await client.WaitFinishedAsync(rollback.Id());

        Assert.Equal("succeeded", done.Status());
        var replicas = await DeploymentClient.ReplicaDetailsAsync(web.Id());
        var v2 = await DeploymentClient.ImageIdAsync(WebImages.V2);
        Assert.All(replicas, r => Assert.Contains("GREETING=first", r.Env));
        Assert.All(replicas, r => Assert.Equal(v2, r.ImageId));
        var container = await client.GetContainerAsync(web.Id());
        Assert.Equal("first", container.GetProperty("env")[0].GetProperty("value").GetString());

        var history = await (await client.GetAsync($"/api/v1/containers/{web.Id()}/deployments?limit=2")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(3, history.GetProperty("pagination").GetProperty("total").GetInt32());
        Assert.Equal(2, history.GetProperty("pagination").GetProperty("total_pages").GetInt32());
        Assert.Equal(rollback.Id(), history.GetProperty("data")[0].Id());
    }

    [Fact]
    public async Task Secrets_EncryptedAtRestAndMaskedInEveryResponse_ButGivenToReplicas()
    {
        const string secret = "s3cret-value-that-must-not-leak";
        var (_, client) = await server.CreateUserClientAsync();
        var web = await client.CreateWebAsync(DeploymentClient.NewDomain(),
            env: new object[] { new { key = "PLAIN", value = "shown" }, new { key = "API_KEY", value = secret, secret = true } });
        var deployment = await client.WaitFinishedAsync((await client.DeployAsync(web.Id(), WebImages.V2)).Id());
        Assert.Equal("succeeded", deployment.Status());
        // A PATCH that sends the masked value back keeps the secret.
        await Patch(client, web.Id(), new { env = new object[] { new { key = "PLAIN", value = "shown" }, new { key = "API_KEY", value = "***", secret = true } } });

        var bodies = new List<string>();
        foreach (var path in new[]
        {
            $"/api/v1/containers/{web.Id()}", "/api/v1/containers", $"/api/v1/containers/{web.Id()}/deployments",
            $"/api/v1/deployments/{deployment.Id()}", $"/api/v1/containers/{web.Id()}/status-logs",
        })
        {
            bodies.Add(await (await client.GetAsync(path)).Content.ReadAsStringAsync());
        }
        Assert.All(bodies, body => Assert.DoesNotContain(secret, body, StringComparison.Ordinal));
        var record = await client.GetContainerAsync(web.Id());
        var apiKey = record.GetProperty("env").EnumerateArray().Single(e => e.GetProperty("key").GetString() == "API_KEY");
        Assert.Equal("***", apiKey.GetProperty("value").GetString());
        Assert.True(apiKey.GetProperty("secret").GetBoolean());
        Assert.Equal("shown", record.GetProperty("env")[0].GetProperty("value").GetString());
        Assert.False(record.GetProperty("has_pending_changes").GetBoolean());

        Assert.All(await DeploymentClient.ReplicaDetailsAsync(web.Id()), r => Assert.Contains($"API_KEY={secret}", r.Env));
        var files = Directory.EnumerateFiles(server.DataDirectory, "*.db*")
            .Select(f => { using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite); using var r = new StreamReader(s); return r.ReadToEnd(); });
        Assert.All(files, content => Assert.DoesNotContain(secret, content, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Volumes_SurviveARedeploy_AndAreRemovedWithTheContainerAndItsRoutes()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var domain = DeploymentClient.NewDomain();
        var web = await client.CreateWebAsync(domain, volumes: new[] { new { name = "data", path = "/data" } });
        Assert.Equal("succeeded", (await RunAsync(client, web.Id(), "echo kept > /data/note")).GetProperty("status").GetString());

        var deployment = await client.WaitFinishedAsync((await client.DeployAsync(web.Id(), WebImages.V2)).Id());
        Assert.Equal("succeeded", deployment.Status());
        var read = await RunAsync(client, web.Id(), "cat /data/note");
        Assert.Equal("kept\n", read.GetProperty("stdout").GetString());

        await (await client.DeleteAsync($"/api/v1/containers/{web.Id()}")).ReadDataAsync();
        var volumes = await DockerProbe.Client.Volumes.ListAsync(new global::Docker.DotNet.Models.VolumesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"berth.container={web.Id()}"] = true },
            },
        });
        Assert.Empty(volumes.Volumes ?? []);
        using var ingress = server.IngressClient();
        await Eventually.UntilAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Host = domain;
            using var response = await ingress.SendAsync(request);
            return response.StatusCode;
        }, status => status == HttpStatusCode.NotFound, TimeSpan.FromSeconds(30), "the deleted container's domain to be unrouted");
    }

    [Fact]
    public async Task Domains_TakenByAnotherContainer_AlreadyExists()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var (_, other) = await server.CreateUserClientAsync();
        var domain = DeploymentClient.NewDomain();
        await client.CreateAsync(new { hostname = ContainerClient.NewHostname("web"), image = WebImages.V1, port = 8080, domains = new[] { domain } });

        var clash = await other.PostAsJsonAsync("/api/v1/containers",
            new { hostname = ContainerClient.NewHostname("web"), image = WebImages.V1, port = 8080, domains = new[] { domain.ToUpperInvariant() } });
        await clash.AssertErrorAsync(HttpStatusCode.Conflict, "ALREADY_EXISTS");

        var invalid = await other.PostAsJsonAsync("/api/v1/containers",
            new { hostname = ContainerClient.NewHostname("web"), image = WebImages.V1, port = 8080, domains = new[] { "not a domain" } });
        await invalid.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var noPort = await other.PostAsJsonAsync("/api/v1/containers",
            new { hostname = ContainerClient.NewHostname("web"), image = WebImages.V1, domains = new[] { DeploymentClient.NewDomain() } });
        await noPort.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task Deployments_OfAnotherUsersContainer_NotFound()
    {
        var (_, owner) = await server.CreateUserClientAsync();
        var (_, stranger) = await server.CreateUserClientAsync();
        var web = await owner.CreateWebAsync(DeploymentClient.NewDomain());
        var deployment = await owner.WaitFinishedAsync((await owner.DeployAsync(web.Id())).Id());

        await (await stranger.GetAsync($"/api/v1/deployments/{deployment.Id()}")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        await (await stranger.PostAsync($"/api/v1/deployments/{deployment.Id()}/rollback", null)).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        await (await stranger.PostAsync($"/api/v1/containers/{web.Id()}/deploy", null)).AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
        await (await stranger.GetAsync($"/api/v1/containers/{web.Id()}/deployments")).AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
    }

    private static async Task Patch(HttpClient client, string id, object body) =>
        await (await client.PatchAsJsonAsync($"/api/v1/containers/{id}", body)).ReadDataAsync();

    private static async Task<JsonElement> RunAsync(HttpClient client, string containerId, string command)
    {
        var queued = await (await client.PostAsJsonAsync($"/api/v1/containers/{containerId}/commands", new { command }))
            .ReadDataAsync(HttpStatusCode.Accepted);
        return await Eventually.UntilAsync(
            async () => await (await client.GetAsync($"/api/v1/commands/{queued.Id()}")).ReadDataAsync(),
            c => c.GetProperty("status").GetString() is "succeeded" or "failed" or "timed_out",
            TimeSpan.FromSeconds(60), $"command '{command}' to finish");
    }
}
