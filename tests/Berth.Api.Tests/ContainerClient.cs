using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests;

/// <summary>Container calls the tests make over and over, through the public API only.</summary>
public static class ContainerClient
{
    public static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(90);

    public static string NewHostname(string prefix = "box") => $"{prefix}-{Guid.NewGuid():N}"[..20];

    public static async Task<JsonElement> CreateAsync(this HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/api/v1/containers", body);
        return await response.ReadDataAsync(HttpStatusCode.OK);
    }

    public static async Task<JsonElement> CreateRunningAsync(this HttpClient client, object? body = null)
    {
        var created = await client.CreateAsync(body ?? new { hostname = NewHostname() });
        return await client.WaitForStateAsync(created.GetProperty("id").GetString()!, "running");
    }

    public static async Task<JsonElement> GetContainerAsync(this HttpClient client, string id) =>
        await (await client.GetAsync($"/api/v1/containers/{id}")).ReadDataAsync();

    public static Task<JsonElement> WaitForStateAsync(this HttpClient client, string id, string state, TimeSpan? timeout = null) =>
        Eventually.UntilAsync(
            () => client.GetContainerAsync(id),
            c => c.GetProperty("state").GetString() == state,
            timeout ?? BootTimeout,
            $"container {id} to be {state}");

    public static async Task<JsonElement> OperateAsync(this HttpClient client, string id, string operation)
    {
        var response = await client.PostAsync($"/api/v1/containers/{id}/{operation}", null);
        return await response.ReadDataAsync();
    }

    public static async Task<JsonElement[]> StatusLogsAsync(this HttpClient client, string id)
    {
        var response = await client.GetAsync($"/api/v1/containers/{id}/status-logs?sort_order=asc&limit=100");
        return [.. (await response.ReadDataAsync()).EnumerateArray()];
    }

    public static string State(this JsonElement container) => container.GetProperty("state").GetString()!;

    public static string Id(this JsonElement container) => container.GetProperty("id").GetString()!;
}
