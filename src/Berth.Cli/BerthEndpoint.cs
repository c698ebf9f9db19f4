using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;

namespace Berth.Cli;

/// <summary>
/// Where the server is and how to reach it: HTTP through <see cref="Http"/> and WebSockets through a
/// connector, both carrying the token. Tests pass the test server's handler and WebSocket client.
/// </summary>
internal sealed class BerthEndpoint : IDisposable
{
    public const string DefaultUrl = "http://127.0.0.1:8080";

    private readonly Func<Uri, CancellationToken, Task<WebSocket>> _connect;

    public BerthEndpoint(Uri baseUrl, string? token, HttpMessageHandler handler, Func<Uri, CancellationToken, Task<WebSocket>> connect)
    {
        BaseUrl = baseUrl;
        HasToken = !string.IsNullOrEmpty(token);
        _connect = connect;
        Http = new HttpClient(handler) { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(100) };
        if (HasToken)
        {
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Uri BaseUrl { get; }

    public bool HasToken { get; }

    public HttpClient Http { get; }

    public static BerthEndpoint FromEnvironment()
    {
        var raw = Environment.GetEnvironmentVariable("BERTH_URL") is { Length: > 0 } url ? url : DefaultUrl;
        if (!Uri.TryCreate(raw.EndsWith('/') ? raw : raw + "/", UriKind.Absolute, out var baseUrl)
            || baseUrl.Scheme is not ("http" or "https"))
        {
            throw new BerthCliException($"BERTH_URL '{raw}' is not an http:// or https:// address", Cli.Usage);
        }
        var token = Environment.GetEnvironmentVariable("BERTH_TOKEN");
        return new BerthEndpoint(baseUrl, token, new SocketsHttpHandler(), async (uri, ct) =>
        {
            var socket = new ClientWebSocket();
            if (!string.IsNullOrEmpty(token))
            {
                socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
            }
            try
            {
                await socket.ConnectAsync(uri, ct);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        });
    }

    /// <summary>The ws:// or wss:// address of an API path.</summary>
    public Uri WebSocketUri(string pathAndQuery)
    {
        var builder = new UriBuilder(new Uri(BaseUrl, pathAndQuery))
        {
            Scheme = BaseUrl.Scheme == "https" ? "wss" : "ws",
        };
        return builder.Uri;
    }

    public Task<WebSocket> ConnectAsync(Uri uri, CancellationToken cancellationToken) => _connect(uri, cancellationToken);

    /// <summary>The server's own words for a refusal: the <c>error.message</c> of its envelope.</summary>
    public static async Task<string> DescribeErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                var message = error.TryGetProperty("message", out var m) ? m.GetString() : null;
                var code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
                return $"{message ?? "request refused"} ({(int)response.StatusCode} {code})";
            }
        }
        catch (JsonException)
        {
            // Not Berth's envelope: a proxy in between, say. The status is the best there is.
        }
        return $"the server answered {(int)response.StatusCode} {response.ReasonPhrase}";
    }

    public void Dispose() => Http.Dispose();
}
