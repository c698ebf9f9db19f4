using System.Text.Json;

namespace Berth.Cli;

/// <summary><c>berth containers</c>: a small table of what the caller can see.</summary>
internal static class ContainersCommand
{
    public static async Task<int> RunAsync(BerthEndpoint endpoint, TextWriter error, TextWriter output, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await endpoint.Http.GetAsync(new Uri("api/v1/containers?limit=100", UriKind.Relative), cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new BerthCliException($"cannot reach {endpoint.BaseUrl}: {e.Message}");
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new BerthCliException(await BerthEndpoint.DescribeErrorAsync(response, cancellationToken));
            }
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var rows = document.RootElement.GetProperty("data").EnumerateArray()
                .Select(c => new[] { Text(c, "id"), Text(c, "hostname"), Text(c, "state"), Text(c, "image") })
                .ToList();
            string[] header = ["ID", "HOSTNAME", "STATE", "IMAGE"];
            var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
            foreach (var row in rows.Prepend(header))
            {
                await output.WriteLineAsync(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
            }
            if (document.RootElement.TryGetProperty("pagination", out var page)
                && page.TryGetProperty("total", out var total) && total.GetInt32() > rows.Count)
            {
                await error.WriteLineAsync($"({rows.Count} of {total.GetInt32()} shown)");
            }
            await output.FlushAsync(cancellationToken);
            return Cli.Ok;
        }
    }

    private static string Text(JsonElement container, string name) =>
        container.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
