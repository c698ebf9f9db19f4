using System.Globalization;
using System.Net;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Berth.Api.Tests.RateLimits;

public sealed class RequestRateLimitTests(RequestLimitedServer fixture) : IClassFixture<RequestLimitedServer>
{
    private readonly BerthServer _server = fixture.Server;

    [Fact]
    public async Task Token_OverItsBurst_Gets429RateLimitedWithRetryAfter_AndAnotherTokenIsUnaffected()
    {
        var (_, busy) = await _server.CreateUserClientAsync();
        var (_, other) = await _server.CreateUserClientAsync();

        var (successes, refused) = await RequestUntilRefusedAsync(() => busy.GetAsync("/api/v1/containers"));

        // The bucket holds the burst; at most a refill or two can arrive while the loop runs.
        Assert.InRange(successes, RequestLimitedServer.CredentialBurst, RequestLimitedServer.CredentialBurst + 3);
        var error = await refused.AssertErrorAsync(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        var retryAfter = int.Parse(Assert.Single(refused.Headers.GetValues("Retry-After")), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal(retryAfter, error.GetProperty("details").GetProperty("retry_after").GetInt32());
        await (await other.GetAsync("/api/v1/containers")).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Anonymous_OverTheAddressBurst_Gets429_OtherAddressesTokensAndHealthAreUnaffected()
    {
        var limited = IPAddress.Parse("127.0.0.2");

        var unauthorized = 0;
        var answer = await SendFromAsync(limited, "/api/v1/containers", token: null);
        while (answer.Status == StatusCodes.Status401Unauthorized && unauthorized < 50)
        {
            unauthorized++;
            answer = await SendFromAsync(limited, "/api/v1/containers", token: null);
        }

        Assert.InRange(unauthorized, RequestLimitedServer.AddressBurst, RequestLimitedServer.AddressBurst + 3);
        Assert.Equal(StatusCodes.Status429TooManyRequests, answer.Status);
        Assert.Equal("RATE_LIMITED", JsonDocument.Parse(answer.Body).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.NotNull(answer.RetryAfter);
        Assert.Equal(StatusCodes.Status401Unauthorized, (await SendFromAsync(IPAddress.Parse("127.0.0.3"), "/api/v1/containers", null)).Status);
        Assert.Equal(StatusCodes.Status200OK, (await SendFromAsync(limited, "/healthz", null)).Status);
        Assert.Equal(StatusCodes.Status200OK, (await SendFromAsync(limited, "/readyz", null)).Status);
        var (_, token) = await _server.CreateUserWithTokenAsync();
        Assert.Equal(StatusCodes.Status200OK, (await SendFromAsync(limited, "/api/v1/containers", token)).Status);
    }

    /// <summary>Sends until the first 429; returns how many came before it.</summary>
    private static async Task<(int Successes, HttpResponseMessage Refused)> RequestUntilRefusedAsync(Func<Task<HttpResponseMessage>> send)
    {
        for (var successes = 0; successes < 50; successes++)
        {
            var response = await send();
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                return (successes, response);
            }
        }
        throw new Xunit.Sdk.XunitException("50 requests in a row were not limited");
    }

    /// <summary>A request as if from <paramref name="address"/>, which only the in-process server can fake.</summary>
    private async Task<(int Status, string Body, string? RetryAfter)> SendFromAsync(IPAddress address, string path, string? token)
    {
        var context = await _server.Server.SendAsync(http =>
        {
            http.Request.Method = HttpMethods.Get;
            http.Request.Path = path;
            http.Connection.RemoteIpAddress = address;
            if (token is not null)
            {
                http.Request.Headers.Authorization = $"Bearer {token}";
            }
        });
        using var reader = new StreamReader(context.Response.Body);
        var retryAfter = context.Response.Headers.RetryAfter.ToString();
        return (context.Response.StatusCode, await reader.ReadToEndAsync(), retryAfter.Length > 0 ? retryAfter : null);
    }
}
