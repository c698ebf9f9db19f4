using System.Net.Http.Json;
using Berth.Api.Tests.Infrastructure;
using Berth.Core.Accounts;

namespace Berth.Api.Tests.Deployments;

/// <summary>A deploy is never left stuck: a restart of the server mid-way ends in the previous version, with the reason.</summary>
public sealed class DeploymentRestartTests
{
    [Fact]
    public async Task ServerRestartMidDeploy_DeploymentRolledBackWithReason_PreviousVersionRunning()
    {
        var dataDirectory = BerthServer.NewDataDirectory();
        var token = TokenHasher.Generate();
        try
        {
            string id, deploymentId;
            await using (var first = new BerthServer(dataDirectory, token, null))
            {
                var web = await first.AdminClient.CreateWebAsync(DeploymentClient.NewDomain(), replicas: 2);
                id = web.Id();
                // Never healthy, with a long window: the deploy is still waiting when the server goes away.
                await (await first.AdminClient.PatchAsJsonAsync($"/api/v1/containers/{id}",
                    new { image = WebImages.Broken, health_check = new { path = "/health", interval = 1, start_window = 600 } })).ReadDataAsync();
                deploymentId = (await first.AdminClient.DeployAsync(id)).Id();
                await Eventually.UntilAsync(() => first.AdminClient.GetDeploymentAsync(deploymentId),
                    d => d.GetProperty("steps").GetArrayLength() > 0, TimeSpan.FromSeconds(30), "the deploy to start a replica");
                await Eventually.UntilAsync(async () => (await DockerProbe.ReplicasAsync(id)).Count,
                    count => count == 3, TimeSpan.FromSeconds(30), "the new replica next to the two old ones");
            }

            await using var second = new BerthServer(dataDirectory, token, null);
            var done = await second.AdminClient.WaitFinishedAsync(deploymentId);

            Assert.Equal("rolled_back", done.Status());
            Assert.Contains("Berth restarted during the deploy", done.GetProperty("reason").GetString(), StringComparison.Ordinal);
            var container = await second.AdminClient.WaitForStateAsync(id, "running");
            Assert.Equal(WebImages.V1, container.GetProperty("image").GetString());
            Assert.True(container.GetProperty("has_pending_changes").GetBoolean());
            var v1 = await DeploymentClient.ImageIdAsync(WebImages.V1);
            var replicas = await DockerProbe.ReplicasAsync(id);
            Assert.Equal(2, replicas.Count);
            Assert.All(replicas, r => Assert.Equal(v1, r.ImageID));

            await (await second.AdminClient.DeleteAsync($"/api/v1/containers/{id}")).ReadDataAsync();
            Assert.Empty(await DockerProbe.ReplicasAsync(id));
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
