using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests.Authentication;

/// <summary>Users with passwords, and the token endpoint, through the API.</summary>
internal static class SignIn
{
    public const string Password = "Correct-Horse-Battery-Staple-42";

    /// <summary>The admin creates a user with <see cref="Password"/>.</summary>
    public static async Task<(Guid UserId, string Email)> CreateUserAsync(this BerthServer server, string role = "user")
    {
        var email = $"{Guid.NewGuid():N}@example.com";
        var created = await server.AdminClient.PostAsJsonAsync("/api/v1/users", new { email, name = "Signs in", role, password = Password });
        var user = await created.ReadDataAsync(HttpStatusCode.Created);
        return (user.GetProperty("id").GetGuid(), email);
    }

    public static Task<HttpResponseMessage> RequestTokenAsync(this BerthServer server, object body) =>
        server.Anonymous.PostAsJsonAsync("/api/v1/auth/token", body);

    /// <summary>Signs in and returns the <c>data</c> of the answer.</summary>
    public static async Task<JsonElement> SignInAsync(this BerthServer server, string email, string[]? scopes = null) =>
        await (await server.RequestTokenAsync(scopes is null ? new { email, password = Password } : new { email, password = Password, scopes }))
            .ReadDataAsync();

    public static async Task<JsonElement> RefreshAsync(this BerthServer server, string refreshToken) =>
        await (await server.RequestTokenAsync(new { refresh_token = refreshToken })).ReadDataAsync();

    public static string AccessToken(this JsonElement grant) => grant.GetProperty("access_token").GetString()!;

    public static string RefreshToken(this JsonElement grant) => grant.GetProperty("refresh_token").GetString()!;

    /// <summary>The decoded JSON of part <paramref name="index"/> (0 header, 1 payload) of a compact JWT.</summary>
    public static JsonElement JwtPart(string jwt, int index)
    {
        using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(jwt.Split('.')[index]));
        return document.RootElement.Clone();
    }

    /// <summary>The same token with its payload replaced and its signature kept.</summary>
    public static string WithPayload(string jwt, string payloadJson)
    {
        var parts = jwt.Split('.');
        return $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payloadJson))}.{parts[2]}";
    }
}
