using System.Net;
using System.Text.Json;
using Berth.Server.RateLimits;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;

namespace Berth.Api.Tests.RateLimits;

/// <summary>
/// The login limit on an endpoint of its own: no login endpoint exists yet, so a small host maps one
/// with <see cref="LoginRateLimitExtensions.RequireLoginRateLimit{TBuilder}"/> and Berth's limiter setup.
/// </summary>
public sealed class LoginRateLimitTests
{
    private const int Attempts = 3;

    [Fact]
    public async Task Login_OverTheAttemptsOfTheWindow_Is429WithRetryAfter_PerSourceAddress()
    {
        await using var app = await StartAsync();
        var server = app.GetTestServer();
        var guesser = IPAddress.Parse("127.0.0.2");

        for (var i = 0; i < Attempts; i++)
        {
            Assert.Equal(StatusCodes.Status200OK, (await LoginAsync(server, guesser)).Status);
        }
        var refused = await LoginAsync(server, guesser);

        Assert.Equal(StatusCodes.Status429TooManyRequests, refused.Status);
        var error = JsonDocument.Parse(refused.Body).RootElement.GetProperty("error");
        Assert.Equal("RATE_LIMITED", error.GetProperty("code").GetString());
        // A window of a minute that has just begun.
        Assert.InRange(int.Parse(refused.RetryAfter!, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(StatusCodes.Status200OK, (await LoginAsync(server, IPAddress.Parse("127.0.0.3"))).Status);
    }

    private static async Task<WebApplication> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration["Berth:RateLimits:LoginAttempts"] = Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Configuration["Berth:RateLimits:LoginWindow"] = "00:01:00";
        builder.AddBerthRateLimits();
        var app = builder.Build();
        app.UseRouting();
        app.UseBerthRateLimits();
        app.MapPost("/login", () => "welcome").RequireLoginRateLimit();
        await app.StartAsync();
        return app;
    }

    private static async Task<(int Status, string Body, string? RetryAfter)> LoginAsync(TestServer server, IPAddress from)
    {
        var context = await server.SendAsync(http =>
        {
            http.Request.Method = HttpMethods.Post;
            http.Request.Path = "/login";
            http.Connection.RemoteIpAddress = from;
        });
        using var reader = new StreamReader(context.Response.Body);
        var retryAfter = context.Response.Headers.RetryAfter.ToString();
        return (context.Response.StatusCode, await reader.ReadToEndAsync(), retryAfter.Length > 0 ? retryAfter : null);
    }
}
