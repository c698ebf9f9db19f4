using System.Net;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests.RateLimits;

public sealed class StreamLimitTests(StreamLimitedServer fixture) : IClassFixture<StreamLimitedServer>
{
    private readonly BerthServer _server = fixture.Server;

    [Fact]
    public async Task Streams_OneOverTheCap_Is429_AnotherUserIsFine_AndClosingOneFreesASlot()
    {
        var (_, alice) = await _server.CreateUserClientAsync();
        var (_, bob) = await _server.CreateUserClientAsync();
        var box = await alice.CreateAsync(new { hostname = ContainerClient.NewHostname() });
        var follow = $"/api/v1/containers/{box.Id()}/logs?follow=true";

        var events = await Streams.OpenOkAsync(alice, "/api/v1/events");
        using var logs = await Streams.OpenOkAsync(alice, follow);

        using var refused = await Streams.OpenAsync(alice, "/api/v1/events");
        var error = await refused.AssertErrorAsync(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        Assert.Equal(StreamLimitedServer.StreamsPerUser, error.GetProperty("details").GetProperty("max_streams").GetInt32());
        using var refusedFollow = await Streams.OpenAsync(alice, follow);
        await refusedFollow.AssertErrorAsync(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        // A log read without follow ends by itself: it is not a stream and takes no slot.
        await (await alice.GetAsync($"/api/v1/containers/{box.Id()}/logs")).EnsureSuccessOkAsync();
        using var bobs = await Streams.OpenOkAsync(bob, "/api/v1/events");

        events.Dispose();
        using var again = await Eventually.UntilAsync(
            async () =>
            {
                var response = await Streams.OpenAsync(alice, "/api/v1/events");
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    response.Dispose();
                }
                return response;
            },
            response => response.StatusCode == HttpStatusCode.OK, Streams.Timeout, "a slot to free up after closing a stream");
    }
}

internal static class ResponseAssertions
{
    public static async Task EnsureSuccessOkAsync(this HttpResponseMessage response)
    {
        using (response)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}
