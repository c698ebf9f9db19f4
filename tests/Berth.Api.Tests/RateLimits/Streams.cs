using System.Net;

namespace Berth.Api.Tests.RateLimits;

/// <summary>Opens and watches the API's streaming HTTP answers (event stream, log follow).</summary>
internal static class Streams
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>The answer once its headers are in; the body keeps streaming until disposed.</summary>
    public static Task<HttpResponseMessage> OpenAsync(HttpClient client, string path) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Get, path), HttpCompletionOption.ResponseHeadersRead).WaitAsync(Timeout);

    public static async Task<HttpResponseMessage> OpenOkAsync(HttpClient client, string path)
    {
        var response = await OpenAsync(client, path);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // Only a refusal has a body that ends; a stream's would be read forever.
            Assert.Fail($"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        return response;
    }

    /// <summary>Reads the body until the server ends it; fails if it does not end within <see cref="Timeout"/>.</summary>
    public static async Task AssertEndsAsync(HttpResponseMessage response, string what)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var body = await response.Content.ReadAsStreamAsync(timeout.Token);
        var buffer = new byte[4096];
        try
        {
            while (await body.ReadAsync(buffer, timeout.Token) > 0)
            {
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Assert.Fail($"{what} was still open after {Timeout.TotalSeconds:0} s");
        }
        catch (IOException)
        {
            // Cut off rather than completed: ended all the same.
        }
    }
}
