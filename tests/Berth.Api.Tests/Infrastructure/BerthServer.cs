using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Berth.Core.Accounts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Api.Tests.Infrastructure;

/// <summary>
/// One real Berth server per test class (use as <c>IClassFixture&lt;BerthServer&gt;</c>), with its own
/// data directory (deleted on dispose) and a bootstrap admin token known to the tests.
/// </summary>
public sealed class BerthServer : WebApplicationFactory<Program>
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(90);

    private readonly Lazy<HttpClient> _admin;
    private readonly Lazy<HttpClient> _anonymous;

    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly bool _ownsDataDirectory;

    public BerthServer()
        : this(null, null, null)
    {
    }

    /// <summary>
    /// A server on <paramref name="dataDirectory"/> (a new one when null, deleted on dispose; a given one
    /// is left for the next server, to test restarts) with extra configuration <paramref name="settings"/>.
    /// </summary>
    internal BerthServer(string? dataDirectory, string? adminToken, IReadOnlyDictionary<string, string?>? settings)
    {
        _ownsDataDirectory = dataDirectory is null;
        _settings = settings ?? new Dictionary<string, string?>();
        DataDirectory = dataDirectory ?? NewDataDirectory();
        AdminToken = adminToken ?? TokenHasher.Generate();
        _admin = new(() => ClientWithToken(AdminToken));
        _anonymous = new(() => NewClient());
    }

    public static string NewDataDirectory() =>
        Path.Combine(Path.GetTempPath(), "berth-api-tests", Guid.NewGuid().ToString("N"));

    public string DataDirectory { get; }

    /// <summary>The <c>berth.instance</c> label of everything this server creates on the engine.</summary>
    public string InstanceId => File.ReadAllText(Path.Combine(DataDirectory, "instance-id")).Trim();

    public string AdminToken { get; }

    /// <summary>Authenticated as the bootstrap admin.</summary>
    public HttpClient AdminClient => _admin.Value;

    /// <summary>Sends no Authorization header.</summary>
    public HttpClient Anonymous => _anonymous.Value;

    public HttpClient ClientWithToken(string token)
    {
        var client = NewClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A client for the ingress, at the address it really bound; requests choose their container by <c>Host</c>.</summary>
    public HttpClient IngressClient()
    {
        var address = Services.GetRequiredService<Berth.Server.Ingress.IngressServer>().Address
            ?? throw new InvalidOperationException("The ingress is off.");
        return new HttpClient { BaseAddress = address, Timeout = RequestTimeout };
    }

    /// <summary>The admin creates a user and mints a token for it, both through the API.</summary>
    public async Task<(Guid UserId, HttpClient Client)> CreateUserClientAsync(string role = "user")
    {
        var (userId, token) = await CreateUserWithTokenAsync(role);
        return (userId, ClientWithToken(token));
    }

    public async Task<(Guid UserId, string Token)> CreateUserWithTokenAsync(string role = "user")
    {
        var created = await AdminClient.PostAsJsonAsync("/api/v1/users", new
        {
            email = $"{Guid.NewGuid():N}@example.com",
            name = "Test user",
            role,
        });
        var user = await created.ReadDataAsync(HttpStatusCode.Created);
        var userId = user.GetProperty("id").GetGuid();

        var minted = await AdminClient.PostAsJsonAsync($"/api/v1/users/{userId}/tokens", new { name = "test" });
        var token = await minted.ReadDataAsync(HttpStatusCode.Created);
        return (userId, token.GetProperty("token").GetString()!);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Berth:DataDirectory", DataDirectory);
        builder.UseSetting("Berth:BootstrapAdminToken", AdminToken);
        // Engine waits are generous: CI machines are slow and loaded.
        builder.UseSetting("Berth:Lifecycle:ConfirmTimeout", "00:01:30");
        // A short resync keeps the tests of what it repairs quick; events cover the rest.
        builder.UseSetting("Berth:Lifecycle:ResyncInterval", "00:00:01");
        // A free port each: test servers run in parallel.
        builder.UseSetting("Berth:Ingress:Url", "http://127.0.0.1:0");
        // Off unless a test turns them on (settings): the tests of a class share the admin's token and
        // one source address, and open streams in parallel.
        builder.UseSetting("Berth:RateLimits:CredentialRate", "0");
        builder.UseSetting("Berth:RateLimits:AddressRate", "0");
        builder.UseSetting("Berth:RateLimits:StreamsPerUser", "0");
        builder.UseSetting("Berth:RateLimits:LoginAttempts", "0");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        // Read before the base disposal, which ends in Dispose(true) and so deletes the data directory.
        var path = Path.Combine(DataDirectory, "instance-id");
        var instanceId = _ownsDataDirectory && File.Exists(path) ? InstanceId : null;
        await base.DisposeAsync();
        if (instanceId is not null)
        {
            await RemoveEngineContainersAsync(instanceId);
        }
        DeleteDataDirectory();
    }

    /// <summary>Leaves the engine as this server found it: removes every replica it labelled.</summary>
    private static async Task RemoveEngineContainersAsync(string instanceId)
    {
        var replicas = await DockerProbe.Client.Containers.ListContainersAsync(new global::Docker.DotNet.Models.ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"berth.instance={instanceId}"] = true },
            },
        });
        await Task.WhenAll(replicas.Select(r => DockerProbe.Client.Containers.RemoveContainerAsync(
            r.ID, new global::Docker.DotNet.Models.ContainerRemoveParameters { Force = true, RemoveVolumes = true })));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        DeleteDataDirectory();
    }

    private HttpClient NewClient()
    {
        // No cookie jar: a client sends exactly the credentials a test gives it, never a session a login left behind.
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.Timeout = RequestTimeout;
        return client;
    }

    private void DeleteDataDirectory()
    {
        if (!_ownsDataDirectory)
        {
            return;
        }
        try
        {
            if (Directory.Exists(DataDirectory))
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A file still held open by a process that is shutting down; the OS temp cleanup gets it.
        }
    }
}
