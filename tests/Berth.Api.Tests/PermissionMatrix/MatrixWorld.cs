using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Berth.Api.Tests.Infrastructure;
using Berth.Api.Tests.Oauth;
using Berth.Core.Projects;

namespace Berth.Api.Tests.PermissionMatrix;

/// <summary>
/// The people and things the permission matrix acts on, all made through the API: a project with an
/// owner, an operator, a viewer, a member of a custom role and a banned operator; a user outside it; an
/// expired token of the viewer; the owner's tokens each lacking one scope (and the admin's lacking
/// <c>admin</c>); a second owner signed in with a password (a JWT); running containers of the project,
/// a finished command and a finished deployment.
/// </summary>
public sealed partial class MatrixWorld
{
    public const string CustomRole = "matrix-custom";

    /// <summary>PID 1 ends on SIGTERM, so that stops, restarts and deploys do not wait out the grace period.</summary>
    private const string QuickStopCommand = "trap 'exit 0' TERM; while :; do sleep 1; done";

    private static readonly TimeSpan s_setupTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(60);
    private static readonly string[] s_scopes = ["read", "write", "exec", "deploy"];
    private const string Password = "matrix-password-long-enough";

    private readonly BerthServer _server;
    private readonly Dictionary<Persona, string> _tokens = [];
    private readonly Dictionary<string, string> _lacking = [];
    private readonly Dictionary<string, string> _ids = [];
    private readonly ConcurrentDictionary<string, HttpClient> _clients = new();
    private readonly ConcurrentQueue<string> _fresh = new();
    private readonly Dictionary<Sample, string> _routeTargets = [];
    private string _projectId = "";

    private MatrixWorld(BerthServer server) => _server = server;

    private HttpClient Admin => _server.AdminClient;

    private HttpClient Owner => Client(_tokens[Persona.Owner]);

    /// <summary>Builds the world; <paramref name="freshContainers"/> running containers are made ready for <c>{target}</c>.</summary>
    public static async Task<MatrixWorld> CreateAsync(BerthServer server, int freshContainers)
    {
        var world = new MatrixWorld(server);
        await world.SetUpAsync(freshContainers);
        return world;
    }

    private async Task SetUpAsync(int freshContainers)
    {
        var users = await Task.WhenAll(Enumerable.Range(0, 7).Select(_ => _server.CreateUserWithTokenAsync()));
        var (ownerId, ownerToken) = users[0];
        var (operatorId, operatorToken) = users[1];
        var (viewerId, viewerToken) = users[2];
        var (customId, customToken) = users[3];
        var (_, nonMemberToken) = users[4];
        var (bannedId, bannedToken) = users[5];
        var (memberId, _) = users[6];
        _tokens[Persona.Admin] = _server.AdminToken;
        _tokens[Persona.Owner] = ownerToken;
        _tokens[Persona.Operator] = operatorToken;
        _tokens[Persona.Viewer] = viewerToken;
        _tokens[Persona.Custom] = customToken;
        _tokens[Persona.NonMember] = nonMemberToken;
        _tokens[Persona.BannedUser] = bannedToken;
        _ids["member"] = memberId.ToString();
        // A second owner of the project, who signs in with a password for a JWT.
        var jwtOwnerId = await NewUserAsync();
        await ExpectAsync(Admin.PatchAsJsonAsync($"/api/v1/users/{jwtOwnerId}", new { password = Password }), HttpStatusCode.OK);
        _tokens[Persona.OwnerJwt] = (await SignInAsync(jwtOwnerId)).GetProperty("access_token").GetString()!;
        _ids["user"] = (await NewUserAsync()).ToString();
        var signIn = await NewUserAsync();
        await ExpectAsync(Admin.PatchAsJsonAsync($"/api/v1/users/{signIn}", new { password = Password }), HttpStatusCode.OK);
        _ids["signin-email"] = (await (await Admin.GetAsync($"/api/v1/users/{signIn}")).ReadDataAsync()).GetProperty("email").GetString()!;
        _ids["signin-password"] = Password;

        // Expires in a moment; by the end of the set-up it is expired (awaited below, not slept for).
        var expiring = await MintAsync(Admin, $"/api/v1/users/{viewerId}/tokens",
            new { name = "expiring", expires_at = DateTimeOffset.UtcNow.AddSeconds(2) });
        _tokens[Persona.ExpiredToken] = expiring;
        foreach (var scope in s_scopes)
        {
            _lacking[scope] = await MintAsync(Admin, $"/api/v1/users/{ownerId}/tokens",
                new { name = $"without-{scope}", scopes = s_scopes.Where(s => s != scope).ToArray() });
        }
        _lacking["admin"] = await MintAsync(Admin, "/api/v1/tokens", new { name = "without-admin", scopes = s_scopes });

        var project = await (await Owner.PostAsJsonAsync("/api/v1/projects", new { name = "matrix" })).ReadDataAsync(HttpStatusCode.Created);
        _projectId = project.GetProperty("id").GetString()!;
        _ids["project"] = _projectId;
        await ExpectAsync(Owner.PostAsJsonAsync($"/api/v1/projects/{_projectId}/roles",
            new { name = CustomRole, permissions = Roles.Custom.Select(p => p.ToWire()).ToArray() }), HttpStatusCode.Created);
        foreach (var (userId, role) in new[]
        {
            (jwtOwnerId, BuiltInRoles.Owner), (operatorId, BuiltInRoles.Operator), (viewerId, BuiltInRoles.Viewer), (customId, CustomRole),
            (bannedId, BuiltInRoles.Operator), (memberId, BuiltInRoles.Viewer),
        })
        {
            await AddMemberAsync(userId, role);
        }
        await ExpectAsync(Admin.PatchAsJsonAsync($"/api/v1/users/{bannedId}", new { banned = true }), HttpStatusCode.OK);

        var created = await Task.WhenAll(Enumerable.Range(0, freshContainers + 2).Select(_ => CreateContainerAsync()));
        await Task.WhenAll(created.Select(id => Owner.WaitForStateAsync(id, "running")));
        _ids["container"] = created[0];
        _ids["deploy-target"] = created[1];
        foreach (var id in created.Skip(2))
        {
            _fresh.Enqueue(id);
        }

        await Task.WhenAll(RunCommandAsync(created[0]), DeployAsync(created[1]));
        await Eventually.UntilAsync(
            async () => await (await Client(expiring).GetAsync("/api/v1/tokens")).ReadErrorCodeAsync(),
            code => code == "TOKEN_EXPIRED", s_setupTimeout, "the short-lived token to expire");
    }

    /// <summary>Sends the sample as <paramref name="persona"/> and reduces the answer to what the matrix compares.</summary>
    public async Task<Answer> SendAsync(Sample sample, Persona persona, string? requiredScope, bool allowed)
    {
        var token = TokenOf(persona, requiredScope);
        var path = await ResolveAsync(sample.Path, sample, persona, token, allowed);
        var body = sample.Body is null ? null : await ResolveAsync(sample.Body, sample, persona, token, allowed);
        var client = token is null ? _server.Anonymous : Client(token);
        if (sample.WebSocket)
        {
            return await HandshakeAsync(client, token, path);
        }
        using var request = new HttpRequestMessage(new HttpMethod(sample.Method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        using var timeout = new CancellationTokenSource(s_requestTimeout);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        if (sample.Stream && response.IsSuccessStatusCode)
        {
            return new Answer((int)response.StatusCode, null, new Dictionary<string, string?>(), null);
        }
        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        bool? listed = sample.Lists is { } list && response.IsSuccessStatusCode ? ListContains(text, _ids[list]) : null;
        return Reduce((int)response.StatusCode, text, listed);
    }

    /// <summary>The token a persona sends; the lacking-scope persona's depends on the route's scope.</summary>
    private string? TokenOf(Persona persona, string? requiredScope) => persona switch
    {
        Persona.NoCredentials => null,
        Persona.LacksScope => _lacking[requiredScope ?? "read"],
        _ => _tokens[persona],
    };

    private async Task<string> ResolveAsync(string template, Sample sample, Persona persona, string? token, bool allowed)
    {
        var result = new StringBuilder();
        var last = 0;
        foreach (Match match in Placeholder().Matches(template))
        {
            result.Append(template, last, match.Index - last);
            result.Append(await ValueOfAsync(match.Groups[1].Value, sample, persona, token, allowed));
            last = match.Index + match.Length;
        }
        return result.Append(template, last, template.Length - last).ToString();
    }

    private async Task<string> ValueOfAsync(string name, Sample sample, Persona persona, string? token, bool allowed) => name switch
    {
        "target" when allowed && sample.Target == Target.PerRequest => await FreshContainerAsync(),
        "target" => _routeTargets.TryGetValue(sample, out var id) ? id : _routeTargets[sample] = await FreshContainerAsync(),
        "unique" => $"m{Guid.NewGuid():N}"[..20],
        "new-user" => (await NewUserAsync()).ToString(),
        "new-member" => (await AddMemberAsync(await NewUserAsync(), BuiltInRoles.Viewer)).ToString(),
        "own-token" => await OwnTokenAsync(persona, token),
        "refresh-token" => await FreshRefreshTokenAsync(),
        "current-password" => persona == Persona.OwnerJwt ? Password : "never set",
        "new-oauth-client" => await NewOauthClientAsync(),
        "own-authorization" => await OwnAuthorizationAsync(persona, token),
        "own-session" => await OwnSessionAsync(persona, token),
        _ => _ids.TryGetValue(name, out var value) ? value : throw new InvalidOperationException($"Unknown placeholder {{{name}}} in a sample"),
    };

    /// <summary>A token the caller minted for itself; callers that cannot authenticate get an id that names nothing.</summary>
    private async Task<string> OwnTokenAsync(Persona persona, string? token)
    {
        if (token is null || persona is Persona.ExpiredToken or Persona.BannedUser)
        {
            return Guid.NewGuid().ToString();
        }
        var minted = await (await Client(token).PostAsJsonAsync("/api/v1/tokens", new { name = "own" })).ReadDataAsync(HttpStatusCode.Created);
        return minted.GetProperty("id").GetString()!;
    }

    /// <summary>
    /// A browser session of the caller's own user (an admin gives the user a password, then it signs in);
    /// callers that cannot authenticate get an id that names nothing.
    /// </summary>
    private async Task<string> OwnSessionAsync(Persona persona, string? token)
    {
        if (token is null || persona is Persona.ExpiredToken or Persona.BannedUser)
        {
            return Guid.NewGuid().ToString();
        }
        var user = (await (await Client(token).GetAsync("/api/v1/auth/session")).ReadDataAsync()).GetProperty("user");
        await ExpectAsync(Admin.PatchAsJsonAsync($"/api/v1/users/{user.GetProperty("id").GetString()}", new { password = Password }),
            HttpStatusCode.OK);
        var session = await (await _server.Anonymous.PostAsJsonAsync("/api/v1/auth/login",
            new { email = user.GetProperty("email").GetString(), password = Password })).ReadDataAsync();
        return session.GetProperty("session_id").GetString()!;
    }

    /// <summary>A refresh token no request has spent yet: a new user with a password signs in.</summary>
    private async Task<string> FreshRefreshTokenAsync()
    {
        var userId = await NewUserAsync();
        await ExpectAsync(Admin.PatchAsJsonAsync($"/api/v1/users/{userId}", new { password = Password }), HttpStatusCode.OK);
        return (await SignInAsync(userId)).GetProperty("refresh_token").GetString()!;
    }

    private async Task<JsonElement> SignInAsync(Guid userId)
    {
        var user = await (await Admin.GetAsync($"/api/v1/users/{userId}")).ReadDataAsync();
        var email = user.GetProperty("email").GetString();
        return await (await _server.Anonymous.PostAsJsonAsync("/api/v1/auth/token", new { email, password = Password })).ReadDataAsync();
    }

    /// <summary>A confidential OAuth client the admin registers.</summary>
    private async Task<string> NewOauthClientAsync() =>
        (await Admin.RegisterAsync("confidential", ["client_credentials"], ["read"])).GetProperty("client_id").GetString()!;

    /// <summary>
    /// An OAuth authorization the caller granted (an authorization request with its token, which records
    /// one); callers that cannot authenticate get an id that names nothing.
    /// </summary>
    private async Task<string> OwnAuthorizationAsync(Persona persona, string? token)
    {
        if (token is null || persona is Persona.ExpiredToken or Persona.BannedUser)
        {
            return Guid.NewGuid().ToString();
        }
        if (!_ids.TryGetValue("oauth-app", out var clientId))
        {
            clientId = _ids["oauth-app"] = (await Admin.RegisterPublicAppAsync("read")).GetProperty("client_id").GetString()!;
        }
        var user = Client(token);
        OauthClient.CodeFrom(await user.AuthorizeAsync(clientId, OauthClient.NewPkce().Challenge, "read"));
        var ownerToken = persona == Persona.LacksScope ? _tokens[Persona.Owner] : token;
        var listed = await (await Client(ownerToken).GetAsync("/api/v1/oauth/authorizations")).ReadDataAsync();
        return listed.EnumerateArray().First(a => a.GetProperty("client_id").GetString() == clientId).GetProperty("id").GetString()!;
    }

    private async Task<Answer> HandshakeAsync(HttpClient client, string? token, string path)
    {
        var websockets = _server.Server.CreateWebSocketClient();
        if (token is not null)
        {
            websockets.ConfigureRequest = r => r.Headers.Authorization = $"Bearer {token}";
        }
        var uri = new UriBuilder(_server.Server.BaseAddress) { Scheme = "ws" };
        var query = path.IndexOf('?', StringComparison.Ordinal);
        uri.Path = query < 0 ? path : path[..query];
        uri.Query = query < 0 ? "" : path[(query + 1)..];
        using var timeout = new CancellationTokenSource(s_requestTimeout);
        try
        {
            using var socket = await websockets.ConnectAsync(uri.Uri, timeout.Token);
            // A full close: the server ends what it started (a terminal's shell) before it answers.
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "matrix", timeout.Token);
            return new Answer(101, null, new Dictionary<string, string?>(), null);
        }
        catch (InvalidOperationException e) when (HandshakeStatus().Match(e.Message) is { Success: true } status)
        {
            // The refusal came before the upgrade; the same request without it carries the error envelope.
            using var plain = await client.GetAsync(path, timeout.Token);
            var answer = Reduce((int)plain.StatusCode, await plain.Content.ReadAsStringAsync(timeout.Token), null);
            return answer with { Status = int.Parse(status.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) };
        }
    }

    private static Answer Reduce(int status, string text, bool? listed)
    {
        string? code = null;
        var details = new Dictionary<string, string?>();
        if (status >= 400)
        {
            try
            {
                using var json = JsonDocument.Parse(text);
                var error = json.RootElement.GetProperty("error");
                code = error.GetProperty("code").GetString();
                if (error.TryGetProperty("details", out var found) && found.ValueKind == JsonValueKind.Object)
                {
                    foreach (var key in new[] { "permission", "required_scope" })
                    {
                        if (found.TryGetProperty(key, out var value))
                        {
                            details[key] = value.ToString();
                        }
                    }
                }
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                code = "(no error envelope)";
            }
        }
        return new Answer(status, code, details, listed);
    }

    private static bool ListContains(string text, string id)
    {
        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("data").EnumerateArray().Any(e => e.GetProperty("id").GetString() == id);
    }

    private HttpClient Client(string token) => _clients.GetOrAdd(token, _server.ClientWithToken);

    private async Task<string> FreshContainerAsync()
    {
        if (_fresh.TryDequeue(out var id))
        {
            return id;
        }
        var created = await CreateContainerAsync();
        await Owner.WaitForStateAsync(created, "running");
        return created;
    }

    private async Task<string> CreateContainerAsync() =>
        (await Owner.CreateAsync(new
        {
            hostname = ContainerClient.NewHostname("matrix"),
            project_id = _projectId,
            command = QuickStopCommand,
            memory_mb = 32,
            cpu_cores = 0.1,
        })).Id();

    private async Task<Guid> NewUserAsync()
    {
        var created = await Admin.PostAsJsonAsync("/api/v1/users", new { email = $"{Guid.NewGuid():N}@example.com", name = "Matrix", role = "user" });
        return (await created.ReadDataAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
    }

    private async Task<Guid> AddMemberAsync(Guid userId, string role)
    {
        await ExpectAsync(Owner.PostAsJsonAsync($"/api/v1/projects/{_projectId}/members", new { user_id = userId, role }), HttpStatusCode.Created);
        return userId;
    }

    private static async Task<string> MintAsync(HttpClient client, string path, object body)
    {
        var minted = await (await client.PostAsJsonAsync(path, body)).ReadDataAsync(HttpStatusCode.Created);
        return minted.GetProperty("token").GetString()!;
    }

    private async Task RunCommandAsync(string containerId)
    {
        var command = await (await Owner.PostAsJsonAsync($"/api/v1/containers/{containerId}/commands", new { command = "true" }))
            .ReadDataAsync(HttpStatusCode.Accepted);
        _ids["command"] = command.GetProperty("id").GetString()!;
        await Eventually.UntilAsync(
            async () => (await (await Owner.GetAsync($"/api/v1/commands/{_ids["command"]}")).ReadDataAsync()).GetProperty("status").GetString(),
            status => status is not ("queued" or "running"), s_setupTimeout, "the fixture command to finish");
    }

    private async Task DeployAsync(string containerId)
    {
        var deployment = await (await Owner.PostAsync($"/api/v1/containers/{containerId}/deploy", null)).ReadDataAsync(HttpStatusCode.Accepted);
        _ids["deployment"] = deployment.GetProperty("id").GetString()!;
        await Eventually.UntilAsync(
            async () => (await (await Owner.GetAsync($"/api/v1/deployments/{_ids["deployment"]}")).ReadDataAsync()).GetProperty("status").GetString(),
            status => status != "in_progress", s_setupTimeout, "the fixture deployment to finish");
    }

    private static async Task ExpectAsync(Task<HttpResponseMessage> sending, HttpStatusCode status) =>
        await (await sending).ReadJsonAsync(status);

    [GeneratedRegex(@"\{([a-z-]+)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"status code:\s*(\d{3})")]
    private static partial Regex HandshakeStatus();
}
