using System.Net;
using System.Net.Http.Json;
using System.Text;
using Berth.Api.Tests.Infrastructure;

namespace Berth.Api.Tests;

/// <summary>Passwords as the API sets and changes them; signing in with them is tested with login and tokens.</summary>
public sealed class PasswordsApiTests(BerthServer server) : IClassFixture<BerthServer>
{
    private const string Password = "first good password";

    [Fact]
    public async Task CreateUser_WeakPassword_Returns400OnPasswordAndNoUser()
    {
        var email = $"{Guid.NewGuid():N}@example.com";

        var response = await server.AdminClient.PostAsJsonAsync("/api/v1/users", new { email, name = "A", role = "user", password = "short" });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["password"], error.Fields());
        var list = await (await server.AdminClient.GetAsync("/api/v1/users?limit=100")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.DoesNotContain(list.GetProperty("data").EnumerateArray(), u => u.GetProperty("email").GetString() == email);
    }

    [Fact]
    public async Task ChangeOwnPassword_NeedsTheCurrentOne_AndIsNeverStoredOrAnswered()
    {
        var (userId, client) = await CreateUserWithPasswordAsync();

        var wrong = await client.PostAsJsonAsync("/api/v1/auth/password",
            new { current_password = "not the password", new_password = "second good password" });
        var weak = await client.PostAsJsonAsync("/api/v1/auth/password",
            new { current_password = Password, new_password = "tiny" });
        var changed = await client.PostAsJsonAsync("/api/v1/auth/password",
            new { current_password = Password, new_password = "second good password" });
        var again = await client.PostAsJsonAsync("/api/v1/auth/password",
            new { current_password = Password, new_password = "third good password" });

        await wrong.AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_CREDENTIALS");
        Assert.Equal(["new_password"], (await weak.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        await again.AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_CREDENTIALS");

        var user = await (await server.AdminClient.GetAsync($"/api/v1/users/{userId}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.DoesNotContain("password", user.GetRawText(), StringComparison.OrdinalIgnoreCase);
        AssertNotInDataDirectory("second good password");
        AssertNotInDataDirectory(Password);
    }

    [Fact]
    public async Task AdminSetsPassword_TheUserCanChangeItWithThatOne()
    {
        var (userId, client) = await CreateUserWithPasswordAsync();

        var reset = await server.AdminClient.PatchAsJsonAsync($"/api/v1/users/{userId}", new { password = "set by the admin" });
        var changed = await client.PostAsJsonAsync("/api/v1/auth/password",
            new { current_password = "set by the admin", new_password = "chosen by the user" });

        await reset.ReadDataAsync(HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
    }

    private async Task<(Guid UserId, HttpClient Client)> CreateUserWithPasswordAsync()
    {
        var created = await server.AdminClient.PostAsJsonAsync("/api/v1/users",
            new { email = $"{Guid.NewGuid():N}@example.com", name = "P", role = "user", password = Password });
        var userId = (await created.ReadDataAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var minted = await server.AdminClient.PostAsJsonAsync($"/api/v1/users/{userId}/tokens", new { name = "t" });
        var token = (await minted.ReadDataAsync(HttpStatusCode.Created)).GetProperty("token").GetString()!;
        return (userId, server.ClientWithToken(token));
    }

    /// <summary>No file Berth keeps (database, its journal, logs) holds the plaintext.</summary>
    private void AssertNotInDataDirectory(string secret)
    {
        var needle = Encoding.UTF8.GetBytes(secret);
        foreach (var file in Directory.EnumerateFiles(server.DataDirectory, "*", SearchOption.AllDirectories))
        {
            byte[] bytes;
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                bytes = copy.ToArray();
            }
            catch (IOException)
            {
                continue;
            }
            Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"{Path.GetFileName(file)} holds a password in plaintext");
        }
    }
}
