using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Berth.Core.Engine;
using Docker.DotNet;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Berth.Docker;

/// <summary>
/// The one cached client of one Docker host, and the one place where Docker's failures become
/// Berth's: every call goes through <see cref="CallAsync{T}"/>.
/// </summary>
internal sealed class DockerConnection : IDisposable
{
    /// <summary>dockerd 20.10 speaks 1.41; pinning it keeps request and response shapes stable across engines.</summary>
    public static readonly Version ApiVersion = new(1, 41);

    private readonly Lazy<DockerClient> _client;
    private readonly ILogger<DockerConnection> _logger;

    public DockerConnection(IOptions<DockerEngineOptions> options, ILogger<DockerConnection> logger)
    {
        Endpoint = options.Value.Endpoint ?? DockerEngineOptions.DefaultEndpoint;
        _logger = logger;
        // Built on first use so that a bad endpoint surfaces as EngineUnavailableException from a call,
        // not as a failure to construct the service.
        _client = new Lazy<DockerClient>(() => new DockerClientBuilder()
            .WithEndpoint(new Uri(Endpoint))
            .WithApiVersion(ApiVersion)
            .Build());
    }

    public string Endpoint { get; }

    /// <summary>
    /// Runs one Docker call. An answer with one of <paramref name="tolerated"/> statuses returns
    /// <c>default</c> (for example 404 when a replica is already gone); every other failure except the
    /// caller's cancellation becomes <see cref="EngineUnavailableException"/>.
    /// </summary>
    public async Task<T?> CallAsync<T>(
        string action,
        Func<DockerClient, CancellationToken, Task<T>> call,
        CancellationToken cancellationToken,
        params HttpStatusCode[] tolerated)
    {
        try
        {
            return await call(GetClient(), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (tolerated.Contains(e.StatusCode))
        {
            DockerLog.Tolerated(_logger, action, (int)e.StatusCode, EngineMessage(e));
            return default;
        }
        catch (Exception e) when (Translate(action, e, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc cref="CallAsync{T}"/>
    /// <returns>False when the engine answered with a tolerated status.</returns>
    public async Task<bool> CallAsync(
        string action,
        Func<DockerClient, CancellationToken, Task> call,
        CancellationToken cancellationToken,
        params HttpStatusCode[] tolerated)
    {
        var done = await CallAsync<bool>(action, async (client, ct) =>
        {
            await call(client, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken, tolerated).ConfigureAwait(false);
        return done;
    }

    /// <summary>
    /// Turns a failure of a Docker call into the exception Berth throws, or null when it must propagate
    /// unchanged (the caller's own cancellation, or a bug).
    /// </summary>
    public EngineUnavailableException? Translate(string action, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is EngineUnavailableException already)
        {
            return already;
        }
        if (cancellationToken.IsCancellationRequested && exception is OperationCanceledException)
        {
            return null;
        }
        EngineUnavailableException? translated = exception switch
        {
            DockerApiException api => new EngineUnavailableException(
                $"Docker engine at {Endpoint} failed to {action}: {EngineMessage(api)}", api),
            OperationCanceledException or TimeoutException => new EngineUnavailableException(
                $"Docker engine at {Endpoint} is unreachable: no answer in time to {action}.", exception),
            HttpRequestException or IOException or SocketException or ObjectDisposedException => new EngineUnavailableException(
                $"Docker engine at {Endpoint} is unreachable: {Describe(exception)}", exception),
            _ => null,
        };
        if (translated is not null && exception is not DockerApiException)
        {
            DockerLog.Unreachable(_logger, Endpoint, action, exception.Message);
        }
        return translated;
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }

    private DockerClient GetClient()
    {
        try
        {
            return _client.Value;
        }
        catch (Exception e) when (e is UriFormatException or NotSupportedException or ArgumentException)
        {
            throw new EngineUnavailableException($"Docker engine at {Endpoint} is unreachable: the endpoint is not usable ({e.Message}).", e);
        }
    }

    /// <summary>Docker answers errors as <c>{"message": "..."}</c>; the raw body is the fallback.</summary>
    internal static string EngineMessage(DockerApiException exception)
    {
        var body = exception.ResponseBody;
        if (string.IsNullOrWhiteSpace(body))
        {
            return $"HTTP {(int)exception.StatusCode}";
        }
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("message", out var message)
                && message.ValueKind == JsonValueKind.String)
            {
                return message.GetString() ?? body.Trim();
            }
        }
        catch (JsonException)
        {
            // Not JSON: a proxy in front of the engine, say; its text is still the best explanation.
        }
        return body.Trim();
    }

    private string Describe(Exception exception)
    {
        // "Connection failed" says little when the real problem is a socket file that is not there.
        if (Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) && uri.Scheme == "unix" && !File.Exists(uri.LocalPath))
        {
            return $"the socket {uri.LocalPath} does not exist.";
        }
        var messages = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (!string.IsNullOrWhiteSpace(e.Message) && !messages.Contains(e.Message))
            {
                messages.Add(e.Message.TrimEnd('.'));
            }
        }
        return string.Join(": ", messages) + ".";
    }
}
