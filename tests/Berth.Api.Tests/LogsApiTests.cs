using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;
using Docker.DotNet.Models;

namespace Berth.Api.Tests;

/// <summary>Container logs on the real engine: merged replicas, filters, formats, follow, retention, isolation.</summary>
public sealed class LogsApiTests(BerthServer server) : IClassFixture<BerthServer>
{
    private static readonly TimeSpan s_lineTimeout = TimeSpan.FromSeconds(60);

    // A numbered line to stdout and to stderr five times a second. The trap makes a stop quick: a shell
    // as PID 1 ignores SIGTERM otherwise, and every stop would wait for the grace period.
    private static readonly string[] s_chatty =
        ["sh", "-c", "trap 'exit 0' TERM; i=0; while true; do echo out-$i; echo err-$i >&2; i=$((i+1)); sleep 0.2; done"];

    // Ten lines, then quiet.
    private static readonly string[] s_tenLines =
        ["sh", "-c", "trap 'exit 0' TERM; for i in 1 2 3 4 5 6 7 8 9 10; do echo line-$i; done; while true; do sleep 0.2; done"];

    [Fact]
    public async Task Logs_TwoReplicas_MergesTheirLinesInTimeOrderTaggedByReplicaAndStream()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync(new { hostname = ContainerClient.NewHostname(), command = s_chatty, replicas = 2 });

        var lines = await Eventually.UntilAsync(
            () => ReadTextAsync(client, box.Id(), "?tail=all&timestamps=true"),
            l => l.Any(x => x.Contains("[0 stdout] out-3", StringComparison.Ordinal))
                && l.Any(x => x.Contains("[1 stdout] out-3", StringComparison.Ordinal))
                && l.Any(x => x.Contains("[0 stderr] err-3", StringComparison.Ordinal))
                && l.Any(x => x.Contains("[1 stderr] err-3", StringComparison.Ordinal)),
            s_lineTimeout, "lines of both replicas on both streams");

        var times = lines.Select(l => DateTimeOffset.Parse(l[..l.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.Order().ToList(), times);
        // Each replica's own lines keep their order.
        foreach (var tag in new[] { "[0 stdout] out-", "[1 stdout] out-" })
        {
            var numbers = lines.Where(l => l.Contains(tag, StringComparison.Ordinal))
                .Select(l => int.Parse(l[(l.IndexOf(tag, StringComparison.Ordinal) + tag.Length)..], CultureInfo.InvariantCulture))
                .ToList();
            Assert.Equal(Enumerable.Range(0, numbers.Count), numbers);
        }
    }

    [Fact]
    public async Task Logs_Tail_ReturnsTheLastLinesAndZeroReturnsNone()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync(new { hostname = ContainerClient.NewHostname(), command = s_tenLines });
        await WaitForLineAsync(client, box.Id(), "line-10");

        Assert.Equal(["[0 stdout] line-8", "[0 stdout] line-9", "[0 stdout] line-10"], await ReadTextAsync(client, box.Id(), "?tail=3"));
        Assert.Empty(await ReadTextAsync(client, box.Id(), "?tail=0"));
        Assert.Equal(10, (await ReadTextAsync(client, box.Id(), "?tail=all")).Length);
        Assert.Equal(10, (await ReadTextAsync(client, box.Id(), "")).Length);
    }

    [Fact]
    public async Task Logs_Ndjson_OneObjectPerLineWithTimeReplicaStreamAndText()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync(new { hostname = ContainerClient.NewHostname(), command = s_tenLines });
        await WaitForLineAsync(client, box.Id(), "line-10");

        var (contentType, lines) = await ReadNdjsonAsync(client, box.Id(), "?tail=all");

        Assert.Equal("application/x-ndjson", contentType);
        Assert.Equal(10, lines.Count);
        var first = lines[0];
        Assert.Equal(0, first.GetProperty("replica").GetInt32());
        Assert.Equal("stdout", first.GetProperty("stream").GetString());
        Assert.Equal("line-1", first.GetProperty("text").GetString());
        Assert.True(DateTimeOffset.TryParse(first.GetProperty("time").GetString(), CultureInfo.InvariantCulture, out _));
    }

    [Fact]
    public async Task Logs_SinceAndUntil_ReturnOnlyTheLinesBetween()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync(new { hostname = ContainerClient.NewHostname(), command = s_tenLines });
        await WaitForLineAsync(client, box.Id(), "line-10");
        var (_, all) = await ReadNdjsonAsync(client, box.Id(), "?tail=all");
        var times = all.Select(l => l.GetProperty("time").GetString()!).ToList();
        var since = times[3];
        var until = times[6];

        var (_, between) = await ReadNdjsonAsync(client, box.Id(), $"?tail=all&since={since}&until={until}");

        var expected = all.Where(l => string.CompareOrdinal(l.GetProperty("time").GetString(), since) >= 0
                && string.CompareOrdinal(l.GetProperty("time").GetString(), until) <= 0)
            .Select(l => l.GetProperty("text").GetString()).ToList();
        Assert.Equal(expected, between.Select(l => l.GetProperty("text").GetString()).ToList());
        Assert.Contains("line-4", expected);
        Assert.Contains("line-7", expected);
        Assert.DoesNotContain("line-10", expected);

        // Unix seconds work too: everything written before 1970-01-02 is nothing.
        Assert.Empty(await ReadTextAsync(client, box.Id(), "?tail=all&until=86400"));
    }

    [Fact]
    public async Task Logs_Follow_StreamsNewLinesAndKeepsStreamingAcrossARestart()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync(new { hostname = ContainerClient.NewHostname(), command = s_chatty });
        await WaitForLineAsync(client, box.Id(), "out-2");

        await using var follow = await LogFollow.OpenAsync(client, box.Id(), "?tail=0&follow=true");
        // tail=0: only lines written from now on, so the counter is past what was already there.
        var firstLive = await follow.NextMatchingAsync(l => l.StartsWith("[0 stdout] out-", StringComparison.Ordinal), s_lineTimeout);
        Assert.NotEqual("[0 stdout] out-0", firstLive);

        var restarted = await client.OperateAsync(box.Id(), "restart");
        Assert.Equal("running", restarted.State());

        // The restarted process counts from 0 again: seeing out-0 proves the follow reads the new run.
        await follow.NextMatchingAsync(l => l == "[0 stdout] out-0", s_lineTimeout);
        await follow.NextMatchingAsync(l => l == "[0 stdout] out-1", s_lineTimeout);
    }

    [Fact]
    public async Task Logs_FollowWithTail_ReadsStoredLinesThenLiveOnesWithoutGapsOrRepeats()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync(new { hostname = ContainerClient.NewHostname(), command = s_chatty });
        await WaitForLineAsync(client, box.Id(), "out-3");

        await using var follow = await LogFollow.OpenAsync(client, box.Id(), "?tail=all&follow=true");
        var seen = new List<int>();
        while (seen.Count < 15)
        {
            var line = await follow.NextMatchingAsync(l => l.StartsWith("[0 stdout] out-", StringComparison.Ordinal), s_lineTimeout);
            seen.Add(int.Parse(line["[0 stdout] out-".Length..], CultureInfo.InvariantCulture));
        }

        Assert.Equal(Enumerable.Range(0, 15), seen);
    }

    [Fact]
    public async Task Logs_ReplicaThatFailedAndStartedAgain_KeepsTheLinesOfEveryRun()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var created = await client.CreateAsync(new
        {
            hostname = ContainerClient.NewHostname(),
            command = new[] { "sh", "-c", "echo run; echo failing >&2; exit 3" },
        });
        await client.WaitForStateAsync(created.Id(), "failed");
        await WaitForLineAsync(client, created.Id(), "failing");

        await client.OperateAsync(created.Id(), "start");

        var lines = await Eventually.UntilAsync(
            () => ReadTextAsync(client, created.Id(), "?tail=all"),
            l => l.Count(x => x == "[0 stdout] run") == 2 && l.Count(x => x == "[0 stderr] failing") == 2,
            s_lineTimeout, "the lines of both runs");
        // The engine orders stdout and stderr lines written in the same instant as it reads them; runs stay apart.
        Assert.Equal(4, lines.Length);
        Assert.Equal(["[0 stderr] failing", "[0 stdout] run"], lines[..2].Order(StringComparer.Ordinal));
        Assert.Equal(["[0 stderr] failing", "[0 stdout] run"], lines[2..].Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Logs_EngineContainerRemovedOutsideBerth_StayReadable()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync(new { hostname = ContainerClient.NewHostname(), command = s_tenLines });
        await WaitForLineAsync(client, box.Id(), "line-10");

        var engineId = await DockerProbe.OnlyReplicaAsync(box.Id());
        await DockerProbe.Client.Containers.RemoveContainerAsync(engineId, new ContainerRemoveParameters { Force = true });
        await client.WaitForStateAsync(box.Id(), "failed");

        Assert.Equal(10, (await ReadTextAsync(client, box.Id(), "?tail=all")).Length);
    }

    [Fact]
    public async Task Logs_DeletedContainer_StayReadableByIdToItsOwnerOnly()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var (_, other) = await server.CreateUserClientAsync();
        var box = await client.CreateRunningAsync(new { hostname = ContainerClient.NewHostname(), command = s_tenLines });
        await WaitForLineAsync(client, box.Id(), "line-10");

        (await client.DeleteAsync($"/api/v1/containers/{box.Id()}")).EnsureSuccessStatusCode();
        await (await client.GetAsync($"/api/v1/containers/{box.Id()}")).AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");

        Assert.Equal(10, (await ReadTextAsync(client, box.Id(), "?tail=all")).Length);
        Assert.Equal(10, (await ReadTextAsync(server.AdminClient, box.Id(), "?tail=all")).Length);
        // A follow of a deleted container ends after the stored lines.
        Assert.Equal(2, (await ReadTextAsync(client, box.Id(), "?tail=2&follow=true")).Length);
        await (await other.GetAsync($"/api/v1/containers/{box.Id()}/logs")).AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
    }

    [Fact]
    public async Task Logs_BadParameters_AreOneValidationErrorNamingEachField()
    {
        var (_, client) = await server.CreateUserClientAsync();
        var box = await client.CreateAsync(new { hostname = ContainerClient.NewHostname() });

        var response = await client.GetAsync(
            $"/api/v1/containers/{box.Id()}/logs?tail=-1&since=yesterday&until=soon&follow=maybe&timestamps=2");

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["follow", "since", "tail", "timestamps", "until"], error.Fields());

        foreach (var (query, field) in new[]
        {
            ("tail=100001", "tail"),
            ("tail=abc", "tail"),
            ("since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z", "until"),
        })
        {
            var bad = await client.GetAsync($"/api/v1/containers/{box.Id()}/logs?{query}");
            Assert.Equal([field], (await bad.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());
        }
    }

    [Fact]
    public async Task Logs_AnotherUsersContainer_IsNotFound()
    {
        var (_, owner) = await server.CreateUserClientAsync();
        var (_, other) = await server.CreateUserClientAsync();
        var box = await owner.CreateAsync(new { hostname = ContainerClient.NewHostname() });

        await (await other.GetAsync($"/api/v1/containers/{box.Id()}/logs")).AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
        await (await other.GetAsync($"/api/v1/containers/{box.Id()}/logs?follow=true"))
            .AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
        await (await server.Anonymous.GetAsync($"/api/v1/containers/{box.Id()}/logs")).AssertErrorAsync(HttpStatusCode.Unauthorized, "MISSING_TOKEN");
    }

    private static async Task WaitForLineAsync(HttpClient client, string id, string text) =>
        await Eventually.UntilAsync(
            () => ReadTextAsync(client, id, "?tail=all"),
            l => l.Any(x => x.EndsWith(" " + text, StringComparison.Ordinal)),
            s_lineTimeout, $"a line '{text}' in the logs of {id}");

    private static async Task<string[]> ReadTextAsync(HttpClient client, string id, string query)
    {
        using var response = await client.GetAsync($"/api/v1/containers/{id}/logs{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static async Task<(string? ContentType, List<JsonElement> Lines)> ReadNdjsonAsync(HttpClient client, string id, string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/containers/{id}/logs{query}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-ndjson"));
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l =>
            {
                using var document = JsonDocument.Parse(l);
                return document.RootElement.Clone();
            })
            .ToList();
        return (response.Content.Headers.ContentType?.MediaType, lines);
    }

    /// <summary>A streaming <c>follow=true</c> response read line by line.</summary>
    private sealed class LogFollow : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly StreamReader _reader;

        private LogFollow(HttpResponseMessage response, StreamReader reader)
        {
            _response = response;
            _reader = reader;
        }

        public static async Task<LogFollow> OpenAsync(HttpClient client, string id, string query)
        {
            var response = await client.GetAsync($"/api/v1/containers/{id}/logs{query}", HttpCompletionOption.ResponseHeadersRead)
                .WaitAsync(s_lineTimeout);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var stream = await response.Content.ReadAsStreamAsync();
            return new LogFollow(response, new StreamReader(stream));
        }

        public async Task<string> NextMatchingAsync(Func<string, bool> match, TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            var skipped = new List<string>();
            while (true)
            {
                string? line;
                try
                {
                    line = await _reader.ReadLineAsync(cancel.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"No matching line within {timeout}; the last lines were: {string.Join(" | ", skipped.TakeLast(10))}");
                }
                Assert.True(line is not null, $"The follow ended; the last lines were: {string.Join(" | ", skipped.TakeLast(10))}");
                if (match(line))
                {
                    return line;
                }
                skipped.Add(line);
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
