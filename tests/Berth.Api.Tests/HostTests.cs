using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests;

public sealed class HostTests(BerthServer server) : IClassFixture<BerthServer>
{
    [Fact]
    public async Task Healthz_Anonymous_Returns200Ok()
    {
        var json = await (await server.Anonymous.GetAsync("/healthz")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("ok", json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_Anonymous_ReportsEachPartAndIsReadyOnlyWhenAllAre()
    {
        var response = await server.Anonymous.GetAsync("/readyz");

        var json = await response.ReadJsonAsync();
        var checks = json.GetProperty("checks");
        Assert.Equal("ok", checks.GetProperty("store").GetString());
        var engineOk = checks.GetProperty("engine").GetString() == "ok";
        Assert.Equal(engineOk ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(engineOk ? "ready" : "not_ready", json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task OpenApi_Anonymous_IsJsonListingTheRoutes()
    {
        var json = await (await server.Anonymous.GetAsync("/openapi/v1.json")).ReadJsonAsync(HttpStatusCode.OK);

        var paths = json.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var path in new[] { "/api/v1/users", "/api/v1/users/{id}", "/api/v1/users/{id}/tokens", "/api/v1/tokens", "/api/v1/tokens/{id}", "/healthz", "/readyz" })
        {
            Assert.Contains(path, paths);
        }
    }

    [Fact]
    public async Task UnknownRoute_Authenticated_Returns404Envelope()
    {
        await (await server.AdminClient.GetAsync("/api/v1/no-such-thing")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task UnknownRoute_Anonymous_Returns401RatherThanRevealingRoutes()
    {
        await (await server.Anonymous.GetAsync("/api/v1/no-such-thing")).AssertErrorAsync(HttpStatusCode.Unauthorized, "MISSING_TOKEN");
    }

    [Fact]
    public async Task WrongMethod_Returns405Envelope()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/tokens");

        await (await server.AdminClient.SendAsync(request)).AssertErrorAsync(HttpStatusCode.MethodNotAllowed, "METHOD_NOT_ALLOWED");
    }

    [Theory]
    [InlineData("{\"name\": ")]
    [InlineData("not json")]
    [InlineData("[1, 2]")]
    public async Task MalformedJsonBody_Returns400ValidationError(string body)
    {
        var response = await server.AdminClient.PostAsync("/api/v1/tokens", new StringContent(body, new MediaTypeHeaderValue("application/json")));

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task MissingBody_Returns400ValidationError()
    {
        var response = await server.AdminClient.PostAsync("/api/v1/tokens", new StringContent("", new MediaTypeHeaderValue("application/json")));

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task WrongContentType_Returns400ValidationError()
    {
        var response = await server.AdminClient.PostAsync("/api/v1/tokens", new StringContent("name=x", new MediaTypeHeaderValue("text/plain")));

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task Responses_UseSnakeCaseFields()
    {
        var json = await (await server.AdminClient.GetAsync("/api/v1/users?limit=1")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(JsonValueKind.Number, json.GetProperty("pagination").GetProperty("total_pages").ValueKind);
    }

    [Fact]
    public void DataDirectory_AtStart_IsCreated()
    {
        _ = server.Services;

        Assert.True(Directory.Exists(server.DataDirectory));
    }
}
