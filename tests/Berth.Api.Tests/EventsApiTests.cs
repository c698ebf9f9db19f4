using System.Net;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests;

public sealed class EventsApiTests(BerthServer server) : IClassFixture<BerthServer>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Wait_ForRunning_ReturnsTheRecordOnceItRuns()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var created = await client.CreateAsync(new { hostname = ContainerClient.NewHostname() });

        var response = await client.GetAsync($"/api/v1/containers/{created.Id()}/wait?state=running&timeout=90");

        Assert.Equal("running", (await response.ReadDataAsync()).State());
    }

    [Fact]
    public async Task Wait_StateNotReached_Returns408WaitTimeout()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync();

        var response = await client.GetAsync($"/api/v1/containers/{box.Id()}/wait?state=paused&timeout=1");

        var error = await response.AssertErrorAsync(HttpStatusCode.RequestTimeout, "WAIT_TIMEOUT");
        Assert.Equal("running", error.GetProperty("details").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Wait_BadQuery_Returns400NamingEachParameter()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateAsync(new { hostname = ContainerClient.NewHostname() });

        var error = await (await client.GetAsync($"/api/v1/containers/{box.Id()}/wait?state=asleep&timeout=0"))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["state", "timeout"], error.Fields());
        var missing = await (await client.GetAsync($"/api/v1/containers/{box.Id()}/wait")).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["state"], missing.Fields());
    }

    [Fact]
    public async Task WaitAndEvents_OtherUsersContainer_IsInvisible()
    {
        var (_, alice) = await server.CreateUserClientAsync();
        var (_, bob) = await server.CreateUserClientAsync();
        var box = await alice.CreateAsync(new { hostname = ContainerClient.NewHostname() });

        await (await bob.GetAsync($"/api/v1/containers/{box.Id()}/wait?state=running&timeout=1"))
            .AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
        await using var bobs = await EventStream.OpenAsync(bob, "0");
        await alice.WaitForStateAsync(box.Id(), "running");
        await alice.OperateAsync(box.Id(), "stop");
        // Bob's own container's events arrive; none of Alice's come before them.
        var own = await bob.CreateAsync(new { hostname = ContainerClient.NewHostname() });
        var first = await bobs.NextAsync(s_timeout);
        Assert.Equal(own.Id(), first.Data.GetProperty("container_id").GetString());
    }

    [Fact]
    public async Task Events_StreamTransitionsAsTheyHappen_AndResumeFromLastEventId()
    {
        var (_, client) = await server.CreateUserClientAsync();
        string lastId;
        string id;
        await using (var stream = await EventStream.OpenAsync(client, null))
        {
            var created = await client.CreateAsync(new { hostname = ContainerClient.NewHostname() });
            id = created.Id();
            var provisioning = await stream.NextAsync(s_timeout);
            Assert.Equal("status", provisioning.Event);
            Assert.Equal(id, provisioning.Data.GetProperty("container_id").GetString());
            Assert.Equal("provisioning", provisioning.Data.GetProperty("to_status").GetString());
            var running = await stream.NextAsync(s_timeout);
            Assert.Equal("running", running.Data.GetProperty("to_status").GetString());
            Assert.Equal(created.GetProperty("hostname").GetString(), running.Data.GetProperty("hostname").GetString());
            lastId = running.Id;
        }

        // Missed while disconnected: a stop and a start. Resuming replays exactly those.
        await client.OperateAsync(id, "stop");
        await client.OperateAsync(id, "start");
        await using var resumed = await EventStream.OpenAsync(client, lastId);
        var stopped = await resumed.NextAsync(s_timeout);
        var started = await resumed.NextAsync(s_timeout);
        Assert.Equal(("stop", "stopped"), (stopped.Data.GetProperty("operation").GetString(), stopped.Data.GetProperty("to_status").GetString()));
        Assert.Equal(("start", "running"), (started.Data.GetProperty("operation").GetString(), started.Data.GetProperty("to_status").GetString()));
        Assert.True(long.Parse(started.Id, System.Globalization.CultureInfo.InvariantCulture) > long.Parse(lastId, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Events_BadLastEventId_Returns400()
    {
        var (_, client) = await server.CreateUserClientAsync();

        await (await client.GetAsync("/api/v1/events?last_event_id=abc")).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task Events_WithoutToken_Returns401()
    {
        await (await server.Anonymous.GetAsync("/api/v1/events")).AssertErrorAsync(HttpStatusCode.Unauthorized, "MISSING_TOKEN");
    }

    /// <summary>A minimal Server-Sent Events reader over the API's stream.</summary>
    private sealed class EventStream : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly StreamReader _reader;

        private EventStream(HttpResponseMessage response, StreamReader reader)
        {
            _response = response;
            _reader = reader;
        }

        public static async Task<EventStream> OpenAsync(HttpClient client, string? lastEventId)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events");
            if (lastEventId is not null)
            {
                request.Headers.Add("Last-Event-ID", lastEventId);
            }
            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(s_timeout);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            // The server confirms the subscription before anything else.
            Assert.Equal(": subscribed", await reader.ReadLineAsync().WaitAsync(s_timeout));
            return new EventStream(response, reader);
        }

        public async Task<(string Id, string Event, JsonElement Data)> NextAsync(TimeSpan timeout)
        {
            string? id = null, name = null, data = null;
            while (true)
            {
                var line = await _reader.ReadLineAsync().WaitAsync(timeout) ?? throw new EndOfStreamException();
                if (line.Length == 0)
                {
                    if (data is not null)
                    {
                        using var document = JsonDocument.Parse(data);
                        return (id!, name!, document.RootElement.Clone());
                    }
                    continue;
                }
                if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = line[4..];
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line[6..];
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            _response.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
