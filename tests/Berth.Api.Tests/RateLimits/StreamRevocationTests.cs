using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests.RateLimits;

/// <summary>A ban or a revoked token ends the streams that authenticated before it, at once.</summary>
public sealed class StreamRevocationTests(BerthServer server) : IClassFixture<BerthServer>
{
    [Fact]
    public async Task Ban_ClosesTheUsersEventStreamLogFollowAndTerminal_NotAnotherUsersStream()
    {
        var (userId, token) = await server.CreateUserWithTokenAsync();
        var client = server.ClientWithToken(token);
        var (_, bystander) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();
        using var events = await Streams.OpenOkAsync(client, "/api/v1/events");
        using var logs = await Streams.OpenOkAsync(client, $"/api/v1/containers/{box.Id()}/logs?follow=true");
        using var terminal = await ConnectAsync(token, $"/api/v1/containers/{box.Id()}/terminal");
        using var others = await Streams.OpenOkAsync(bystander, "/api/v1/events");

        await (await server.AdminClient.PatchAsJsonAsync($"/api/v1/users/{userId}", new { banned = true })).ReadDataAsync();

        await Streams.AssertEndsAsync(events, "the banned user's event stream");
        await Streams.AssertEndsAsync(logs, "the banned user's log follow");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await ClosedWithAsync(terminal));
        // The bystander's stream still delivers: its own new container's first event arrives on it.
        await bystander.CreateAsync(new { hostname = ContainerClient.NewHostname() });
        await AssertDeliversAsync(others);
    }

    [Fact]
    public async Task RevokedToken_ClosesItsEventStreamAndCommandStream_NotTheSameUsersOtherToken()
    {
        var (_, token) = await server.CreateUserWithTokenAsync();
        var client = server.ClientWithToken(token);
        var minted = await (await client.PostAsJsonAsync("/api/v1/tokens", new { name = "doomed" })).ReadDataAsync(HttpStatusCode.Created);
        var doomedToken = minted.GetProperty("token").GetString()!;
        var doomed = server.ClientWithToken(doomedToken);
        var box = await client.CreateRunningAsync();
        var command = await (await client.PostAsJsonAsync($"/api/v1/containers/{box.Id()}/commands", new { command = "sleep 60" }))
            .ReadDataAsync(HttpStatusCode.Accepted);
        using var events = await Streams.OpenOkAsync(doomed, "/api/v1/events");
        using var commandStream = await ConnectAsync(doomedToken, $"/api/v1/commands/{command.GetProperty("id").GetString()}/stream");
        using var kept = await Streams.OpenOkAsync(client, "/api/v1/events");

        await (await client.DeleteAsync($"/api/v1/tokens/{minted.GetProperty("id").GetString()}")).EnsureSuccessStatusCodeAsync();

        await Streams.AssertEndsAsync(events, "the revoked token's event stream");
        await ClosedWithAsync(commandStream);
        await client.OperateAsync(box.Id(), "stop");
        await AssertDeliversAsync(kept);
    }

    private async Task<WebSocket> ConnectAsync(string token, string path)
    {
        var client = server.Server.CreateWebSocketClient();
        client.ConfigureRequest = r => r.Headers.Authorization = $"Bearer {token}";
        var uri = new UriBuilder(server.Server.BaseAddress) { Scheme = "ws", Path = path }.Uri;
        using var timeout = new CancellationTokenSource(Streams.Timeout);
        return await client.ConnectAsync(uri, timeout.Token);
    }

    /// <summary>Reads until the server closes or cuts the socket; the close status, or null for a cut.</summary>
    private static async Task<WebSocketCloseStatus?> ClosedWithAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(Streams.Timeout);
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, timeout.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return socket.CloseStatus;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Assert.Fail($"the WebSocket was still open after {Streams.Timeout.TotalSeconds:0} s");
            throw;
        }
        catch (Exception e) when (e is WebSocketException or IOException)
        {
            return null;
        }
    }

    /// <summary>An event (not a comment line) arrives on the open event stream.</summary>
    private static async Task AssertDeliversAsync(HttpResponseMessage events)
    {
        using var timeout = new CancellationTokenSource(Streams.Timeout);
        using var reader = new StreamReader(await events.Content.ReadAsStreamAsync(timeout.Token));
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: status", StringComparison.Ordinal))
            {
                return;
            }
        }
        Assert.Fail("the stream ended instead of delivering an event");
    }
}

internal static class ResponseChecks
{
    public static async Task EnsureSuccessStatusCodeAsync(this HttpResponseMessage response)
    {
        using (response)
        {
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}
