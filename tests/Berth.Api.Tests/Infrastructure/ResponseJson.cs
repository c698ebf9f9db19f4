using System.Net;
using System.Text.Json;

namespace Berth.Api.Tests.Infrastructure;

/// <summary>Reads the API's envelopes, failing with the whole body when the answer is not the expected one.</summary>
public static class ResponseJson
{
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"{(int)response.StatusCode}: the body is not JSON ({e.Message}): {body}");
        }
    }

    /// <summary>Asserts the status and returns the whole body.</summary>
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == expected,
            $"Expected {(int)expected} {expected} from {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}, got {(int)response.StatusCode}: {json}");
        return json;
    }

    /// <summary>Asserts the status and returns <c>data</c>.</summary>
    public static async Task<JsonElement> ReadDataAsync(this HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK) =>
        (await response.ReadJsonAsync(expected)).GetProperty("data");

    /// <summary>Asserts the status and <c>error.code</c>; returns <c>error</c>.</summary>
    public static async Task<JsonElement> AssertErrorAsync(this HttpResponseMessage response, HttpStatusCode expected, string code)
    {
        var json = await response.ReadJsonAsync(expected);
        var error = json.GetProperty("error");
        Assert.True(error.GetProperty("code").GetString() == code, $"Expected error code {code}, got {json}");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()), $"The error has no message: {json}");
        Assert.Equal(JsonValueKind.Object, error.GetProperty("details").ValueKind);
        return error;
    }

    public static async Task<string?> ReadErrorCodeAsync(this HttpResponseMessage response) =>
        (await response.ReadJsonAsync()).TryGetProperty("error", out var error) ? error.GetProperty("code").GetString() : null;

    /// <summary>The names under <c>error.details.fields</c>.</summary>
    public static string[] Fields(this JsonElement error) =>
        [.. error.GetProperty("details").GetProperty("fields").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];
}
