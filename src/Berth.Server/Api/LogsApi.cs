using Berth.Core.Accounts;
using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Berth.Core.Logs;
using Berth.Core.Projects;
using Berth.Server.Accounts;
using Berth.Server.RateLimits;
using Microsoft.AspNetCore.Http.Features;

namespace Berth.Server.Api;

/// <summary>
/// <c>GET /api/v1/containers/{id}/logs</c>: every replica's lines merged in time order, as plain text
/// (<c>[0 stdout] text</c>) or, for <c>Accept: application/x-ndjson</c>, one JSON object per line.
/// </summary>
internal static class LogsApi
{
    public const string NdjsonType = "application/x-ndjson";
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    public static IEndpointRouteBuilder MapLogsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/containers").WithTags("Containers")
            .MapGet("/{id}/logs", ReadAsync).RequireScope(Scopes.Read).NeedsPermission(Permission.Logs)
            .AsLongLivedStream(Follows)
            .Produces<string>(StatusCodes.Status200OK, "text/plain", NdjsonType);
        return app;
    }

    /// <summary>Only a follow is a long-lived stream; any other read ends by itself.</summary>
    private static bool Follows(HttpContext http)
    {
        var follow = http.Request.Query["follow"].ToString();
        return follow == "1" || string.Equals(follow, "true", StringComparison.OrdinalIgnoreCase);
    }

    private static async Task ReadAsync(
        HttpContext http, LogService logs, string id, string? tail, string? since, string? until, string? follow, string? timestamps,
        CancellationToken cancellationToken)
    {
        var query = LogQuery.Parse(tail, since, until, follow, timestamps);
        using var reading = await logs.OpenAsync(http.GetCaller(), id, query, cancellationToken);

        var ndjson = http.Request.Headers.Accept.Any(a => a?.Contains(NdjsonType, StringComparison.OrdinalIgnoreCase) == true);
        http.Response.ContentType = ndjson ? $"{NdjsonType}; charset=utf-8" : "text/plain; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache";
        // Lines must reach a follower as they come, not when a buffer fills.
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await http.Response.StartAsync(cancellationToken);
        // Send the headers now: a follower of a quiet container must not wait for its first line to know it is subscribed.
        await http.Response.Body.FlushAsync(cancellationToken);

        var body = http.Response.BodyWriter;
        try
        {
            await foreach (var batch in reading.ReadAsync(cancellationToken))
            {
                foreach (var entry in batch)
                {
                    if (ndjson)
                    {
                        WriteJson(body, entry);
                    }
                    else
                    {
                        WriteText(body, entry, query.Timestamps);
                    }
                }
                await body.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away: that is how a follow ends.
        }
    }

    private static void WriteText(PipeWriter body, LogEntry entry, bool timestamps)
    {
        var time = timestamps ? entry.Time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture) + " " : "";
        var text = entry switch
        {
            LogLine line => string.Create(CultureInfo.InvariantCulture, $"{time}[{line.Replica} {StreamName(line.Stream)}] {line.Text}\n"),
            LogLinesDropped dropped => $"{time}[berth] {dropped.Text}\n",
            _ => "",
        };
        Encoding.UTF8.GetBytes(text, body);
    }

    private static void WriteJson(PipeWriter body, LogEntry entry)
    {
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("time", entry.Time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
            switch (entry)
            {
                case LogLine line:
                    json.WriteNumber("replica", line.Replica);
                    json.WriteString("stream", StreamName(line.Stream));
                    json.WriteString("text", line.Text);
                    break;
                case LogLinesDropped dropped:
                    json.WriteNull("replica");
                    json.WriteString("stream", "berth");
                    json.WriteString("text", dropped.Text);
                    json.WriteNumber("dropped", dropped.Count);
                    break;
            }
            json.WriteEndObject();
        }
        body.Write("\n"u8);
    }

    private static string StreamName(LogStream stream) => stream == LogStream.Stderr ? "stderr" : "stdout";
}
