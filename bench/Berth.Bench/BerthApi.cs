using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Berth.Bench;

/// <summary>
/// The few calls of Berth's native API the bench makes. Every call has its own time limit and fails with
/// a message naming the call, the status and the start of the body, so that a half-built or slow server
/// produces an explanation rather than a hang.
/// </summary>
internal sealed class BerthApi : IDisposable
{
    private readonly HttpClient _client;
    private readonly TimeSpan _timeout;
    private readonly string _token;

    public BerthApi(Uri baseAddress, string token, TimeSpan timeout)
    {
        _timeout = timeout;
        _token = token;
        _client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = baseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public Uri BaseAddress => _client.BaseAddress!;

    public async Task<string> CreateAsync(string hostname, CancellationToken cancellationToken, IReadOnlyList<string>? command = null)
    {
        var fields = new Dictionary<string, object> { ["hostname"] = hostname };
        if (command is not null)
        {
            fields["command"] = command;
        }
        var body = JsonSerializer.Serialize(fields);
        using var document = await SendAsync(HttpMethod.Post, "/api/v1/containers", body, cancellationToken);
        return Data(document, "create").GetProperty("id").GetString()
            ?? throw new BenchException("POST /api/v1/containers answered a null data.id.");
    }

    /// <summary>POST /api/v1/containers with any body (a web service with a port, health check and domains); returns the id.</summary>
    public async Task<string> CreateAsync(IReadOnlyDictionary<string, object?> fields, CancellationToken cancellationToken)
    {
        using var document = await SendAsync(HttpMethod.Post, "/api/v1/containers", JsonSerializer.Serialize(fields), cancellationToken);
        return Data(document, "create").GetProperty("id").GetString()
            ?? throw new BenchException("POST /api/v1/containers answered a null data.id.");
    }

    /// <summary>POST /api/v1/containers/{id}/deploy (202); returns the deployment's id.</summary>
    public async Task<string> DeployAsync(string containerId, string? image, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object?> { ["image"] = image });
        using var document = await SendAsync(HttpMethod.Post, $"/api/v1/containers/{containerId}/deploy", body, cancellationToken);
        return Data(document, "deploy").TryGetProperty("id", out var id) && id.GetString() is { } value
            ? value
            : throw new BenchException("POST /api/v1/containers/{id}/deploy answered without data.id.");
    }

    /// <summary>Polls GET /api/v1/deployments/{id} until its status is no longer in_progress; returns that record.</summary>
    public async Task<JsonElement> WaitDeploymentAsync(string deploymentId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var deployment = await GetDataAsync($"/api/v1/deployments/{deploymentId}", cancellationToken);
            var status = deployment.TryGetProperty("status", out var s) ? s.GetString() : null;
            if (status is not null and not "in_progress")
            {
                return deployment;
            }
            if (clock.Elapsed > timeout)
            {
                throw new BenchException($"Deployment {deploymentId} is still '{status}' after {timeout.TotalSeconds:0} s.");
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    public async Task<string> GetStateAsync(string id, CancellationToken cancellationToken)
    {
        using var document = await SendAsync(HttpMethod.Get, $"/api/v1/containers/{id}", null, cancellationToken);
        return State(document, "get");
    }

    /// <summary>The body of GET /api/v1/containers/{id}, exactly as Berth sent it.</summary>
    public async Task<byte[]> GetRawAsync(string id, CancellationToken cancellationToken)
    {
        using var timeout = Limit(cancellationToken);
        using var response = await _client.GetAsync($"/api/v1/containers/{id}", timeout.Token);
        var bytes = await response.Content.ReadAsByteArrayAsync(timeout.Token);
        if (!response.IsSuccessStatusCode)
        {
            throw Failure(HttpMethod.Get, $"/api/v1/containers/{id}", (int)response.StatusCode, Encoding.UTF8.GetString(bytes));
        }
        return bytes;
    }

    /// <summary>Runs a lifecycle operation and returns the state of the record Berth answered with.</summary>
    public async Task<string> OperateAsync(string id, string operation, CancellationToken cancellationToken)
    {
        using var document = await SendAsync(HttpMethod.Post, $"/api/v1/containers/{id}/{operation}", null, cancellationToken);
        return State(document, operation);
    }

    /// <summary>The number of records on the page and the total the pagination reports.</summary>
    public async Task<(int Items, long Total)> ListAsync(int page, int limit, string? state, CancellationToken cancellationToken)
    {
        var path = $"/api/v1/containers?page={page}&limit={limit}" + (state is null ? "" : $"&state={state}");
        using var document = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
        var items = document.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array
            ? data.GetArrayLength()
            : throw new BenchException($"GET {path} answered without a data array: {Snippet(document.RootElement.GetRawText())}");
        var total = document.RootElement.TryGetProperty("pagination", out var pagination)
            && pagination.TryGetProperty("total", out var t) && t.TryGetInt64(out var n)
            ? n
            : throw new BenchException($"GET {path} answered without pagination.total.");
        return (items, total);
    }

    /// <summary>The cheapest request that still does the full work of a list; its body is only drained.</summary>
    public async Task DrainAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        using var timeout = Limit(cancellationToken);
        using var response = await _client.GetAsync(pathAndQuery, HttpCompletionOption.ResponseContentRead, timeout.Token);
        if (!response.IsSuccessStatusCode)
        {
            throw Failure(HttpMethod.Get, pathAndQuery, (int)response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token));
        }
    }

    public async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        using var timeout = Limit(cancellationToken);
        try
        {
            using var response = await _client.DeleteAsync($"/api/v1/containers/{id}", timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw Failure(HttpMethod.Delete, $"/api/v1/containers/{id}", (int)response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token));
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new BenchException($"DELETE /api/v1/containers/{id}: {e.Message}", e);
        }
    }

    /// <summary>Polls until the record is in one of <paramref name="states"/>; returns that state.</summary>
    public async Task<string> WaitForStateAsync(string id, IReadOnlyCollection<string> states, TimeSpan timeout, TimeSpan interval, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var state = "";
        while (true)
        {
            state = await GetStateAsync(id, cancellationToken);
            if (states.Contains(state))
            {
                return state;
            }
            if (clock.Elapsed > timeout)
            {
                throw new BenchException($"Container {id} did not reach {string.Join(" or ", states)} within {timeout.TotalSeconds:0} s; it is '{state}'.");
            }
            await Task.Delay(interval, cancellationToken);
        }
    }

    /// <summary>The data object of a GET, for checks that are not timed.</summary>
    public async Task<JsonElement> GetDataAsync(string path, CancellationToken cancellationToken)
    {
        using var document = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
        return Data(document, $"GET {path}").Clone();
    }

    /// <summary>POST /api/v1/containers/{id}/commands with an argv; returns the command's id.</summary>
    public async Task<string> SubmitCommandAsync(string containerId, IReadOnlyList<string> argv, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object> { ["command"] = argv });
        using var document = await SendAsync(HttpMethod.Post, $"/api/v1/containers/{containerId}/commands", body, cancellationToken);
        return Data(document, "command submission").TryGetProperty("id", out var id) && id.GetString() is { } value
            ? value
            : throw new BenchException("POST /api/v1/containers/{id}/commands answered without data.id.");
    }

    public async Task<string> GetCommandStatusAsync(string commandId, CancellationToken cancellationToken)
    {
        using var document = await SendAsync(HttpMethod.Get, $"/api/v1/commands/{commandId}", null, cancellationToken);
        return Data(document, "get command").TryGetProperty("status", out var status) && status.GetString() is { } value
            ? value
            : throw new BenchException("GET /api/v1/commands/{id} answered without data.status.");
    }

    /// <summary>
    /// A streaming GET: answers once the headers are in (within the call limit); the body is the
    /// caller's to read and to dispose with the response.
    /// </summary>
    public async Task<HttpResponseMessage> OpenStreamAsync(string path, string? accept, CancellationToken cancellationToken)
    {
        using var timeout = Limit(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BenchException($"GET {path}: no answer from {BaseAddress} within {_timeout.TotalSeconds:0} s.");
        }
        catch (HttpRequestException e)
        {
            throw new BenchException($"GET {path}: {BaseAddress} is unreachable: {e.Message}", e);
        }
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                var status = (int)response.StatusCode;
                throw Failure(HttpMethod.Get, path, status, await response.Content.ReadAsStringAsync(timeout.Token));
            }
        }
        return response;
    }

    /// <summary>A WebSocket on this server, authenticated by the bench's token (programs send no Origin).</summary>
    public async Task<System.Net.WebSockets.ClientWebSocket> ConnectWebSocketAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {_token}");
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = Timeout.InfiniteTimeSpan;
        var uri = new UriBuilder(new Uri(BaseAddress, path)) { Scheme = BaseAddress.Scheme == "https" ? "wss" : "ws" }.Uri;
        using var timeout = Limit(cancellationToken);
        try
        {
            await socket.ConnectAsync(uri, timeout.Token);
            return socket;
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or HttpRequestException
            or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            throw new BenchException(status != 0
                ? $"WebSocket {path} answered {(int)status} instead of switching protocols."
                : $"WebSocket {path}: {(e is OperationCanceledException ? $"no answer within {_timeout.TotalSeconds:0} s" : e.Message)}", e);
        }
    }

    /// <summary>A POST with a JSON body; returns the answer's data object.</summary>
    public async Task<JsonElement> PostDataAsync(string path, object body, CancellationToken cancellationToken)
    {
        using var document = await SendAsync(HttpMethod.Post, path, JsonSerializer.Serialize(body), cancellationToken);
        return Data(document, $"POST {path}").Clone();
    }

    /// <summary>
    /// A POST sent without the bench's token (a login, a token exchange); returns the answer's JSON and
    /// its <c>Set-Cookie</c> values.
    /// </summary>
    public async Task<(JsonElement Json, IReadOnlyList<string> Cookies)> PostAnonymousAsync(
        string path, HttpContent content, CancellationToken cancellationToken)
    {
        using var timeout = Limit(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Authorization = null;
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = BaseAddress };
        using var response = await client.SendAsync(request, timeout.Token);
        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        if (!response.IsSuccessStatusCode)
        {
            throw Failure(HttpMethod.Post, path, (int)response.StatusCode, text);
        }
        var cookies = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToList() : [];
        using var document = JsonDocument.Parse(text);
        return (document.RootElement.Clone(), cookies);
    }

    public void Dispose() => _client.Dispose();

    private async Task<JsonDocument> SendAsync(HttpMethod method, string path, string? json, CancellationToken cancellationToken)
    {
        using var timeout = Limit(cancellationToken);
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BenchException($"{method} {path}: no answer from {BaseAddress} within {_timeout.TotalSeconds:0} s.");
        }
        catch (HttpRequestException e)
        {
            throw new BenchException($"{method} {path}: {BaseAddress} is unreachable: {e.Message}", e);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw Failure(method, path, (int)response.StatusCode, text);
            }
            try
            {
                return JsonDocument.Parse(text);
            }
            catch (JsonException)
            {
                throw new BenchException($"{method} {path} answered {(int)response.StatusCode} with a body that is not JSON: {Snippet(text)}");
            }
        }
    }

    private CancellationTokenSource Limit(CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(_timeout);
        return source;
    }

    private static JsonElement Data(JsonDocument document, string what) =>
        document.RootElement.ValueKind == JsonValueKind.Object
        && document.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
            ? data
            : throw new BenchException($"The answer to {what} has no data object: {Snippet(document.RootElement.GetRawText())}");

    private static string State(JsonDocument document, string what) =>
        Data(document, what).TryGetProperty("state", out var state) && state.GetString() is { } value
            ? value
            : throw new BenchException($"The answer to {what} has no data.state.");

    private static BenchException Failure(HttpMethod method, string path, int status, string body) =>
        new($"{method} {path} answered {status}: {Snippet(body)}");

    private static string Snippet(string text) => text.Length <= 300 ? text : text[..300] + "...";
}
