using System.Net;
using System.Net.WebSockets;
using System.Text;
using Berth.Api.Tests.Infrastructure;
using Berth.Cli;
using Docker.DotNet.Models;

namespace Berth.Api.Tests;

public sealed class TerminalApiTests(BerthServer server) : IClassFixture<BerthServer>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Terminal_Echo_ShowsOutput()
    {
        var (token, container) = await RunningContainerAsync();
        using var socket = await ConnectAsync(token, container);
        var screen = new Screen(socket);
        var marker = Guid.NewGuid().ToString("N");

        // The quotes vanish in the output, so the match is the command's output, not the TTY's echo of it.
        await SendTextAsync(socket, $"echo hello-\"\"{marker}\r");

        await screen.UntilAsync($"hello-{marker}");
    }

    [Fact]
    public async Task Terminal_ResizeFrame_ChangesSttySize()
    {
        var (token, container) = await RunningContainerAsync();
        using var socket = await ConnectAsync(token, container, "?cols=100&rows=30");
        var screen = new Screen(socket);

        await SendTextAsync(socket, "stty size\r");
        await screen.UntilAsync("30 100");

        await SendTextAsync(socket, """{"type":"resize","cols":123,"rows":45}""");
        await SendTextAsync(socket, "stty size\r");
        await screen.UntilAsync("45 123");
    }

    [Fact]
    public async Task Terminal_InputControlFrameAndBinaryKeystrokes_ReachTheShell()
    {
        var (token, container) = await RunningContainerAsync();
        using var socket = await ConnectAsync(token, container);
        var screen = new Screen(socket);
        var marker = Guid.NewGuid().ToString("N");

        await socket.SendAsync(Encoding.UTF8.GetBytes($"echo bin-\"\"{marker}\r"), WebSocketMessageType.Binary, true, Timeout());
        await screen.UntilAsync($"bin-{marker}");
        await SendTextAsync(socket, $$"""{"type":"input","data":"echo in-\"\"{{marker}}\r"}""");
        await screen.UntilAsync($"in-{marker}");
    }

    [Fact]
    public async Task Terminal_ClientCloses_LeavesNoProcessBehind()
    {
        var (token, container) = await RunningContainerAsync();
        var replica = await DockerProbe.OnlyReplicaAsync(container);
        using var socket = await ConnectAsync(token, container);
        var screen = new Screen(socket);

        await SendTextAsync(socket, "sleep 4321\r");
        await Eventually.UntilAsync(() => PsAsync(replica), ps => ps.Contains("sleep 4321", StringComparison.Ordinal), s_timeout, "the sleep to run");

        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", Timeout());
        await screen.UntilClosedAsync();

        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        await Eventually.UntilAsync(() => PsAsync(replica), ps => !HasSessionProcess(ps), s_timeout, "the shell and its sleep to be gone");
    }

    [Fact]
    public async Task Terminal_Exit_ClosesNormallyWithTheExitCode()
    {
        var (token, container) = await RunningContainerAsync();
        var replica = await DockerProbe.OnlyReplicaAsync(container);
        using var socket = await ConnectAsync(token, container);
        var screen = new Screen(socket);

        await SendTextAsync(socket, "exit 3\r");

        await screen.UntilClosedAsync();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        Assert.Equal("Process exited with code 3", socket.CloseStatusDescription);
        await Eventually.UntilAsync(() => PsAsync(replica), ps => !HasSessionProcess(ps), s_timeout, "the shell to be gone");
    }

    [Fact]
    public async Task Terminal_MissingShell_ShowsTheEngineErrorAndCloses()
    {
        var (token, container) = await RunningContainerAsync();
        using var socket = await ConnectAsync(token, container, "?shell=/bin/no-such-shell");
        var screen = new Screen(socket);

        await screen.UntilAsync("no-such-shell");
        await screen.UntilClosedAsync();

        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        Assert.StartsWith("Process exited with code 12", socket.CloseStatusDescription, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Terminal_TwoSessions_AreIndependent()
    {
        var (token, container) = await RunningContainerAsync();
        var replica = await DockerProbe.OnlyReplicaAsync(container);
        using var first = await ConnectAsync(token, container);
        using var second = await ConnectAsync(token, container);
        var firstScreen = new Screen(first);
        var secondScreen = new Screen(second);
        var marker = Guid.NewGuid().ToString("N");

        // The first session is busy; the second answers anyway.
        await SendTextAsync(first, "sleep 4322\r");
        await SendTextAsync(second, $"echo two-\"\"{marker}\r");
        await secondScreen.UntilAsync($"two-{marker}");

        // Ending the first ends its processes only.
        await first.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", Timeout());
        await firstScreen.UntilClosedAsync();
        await Eventually.UntilAsync(() => PsAsync(replica), ps => !ps.Contains("sleep 4322", StringComparison.Ordinal), s_timeout, "the first session's sleep to be gone");
        await SendTextAsync(second, $"echo again-\"\"{marker}\r");
        await secondScreen.UntilAsync($"again-{marker}");
        Assert.Equal(WebSocketState.Open, second.State);
        Assert.Null(firstScreen.Failure);
    }

    [Fact]
    public async Task Terminal_DisallowedOrigin_Is403BeforeUpgrade()
    {
        var (token, container) = await RunningContainerAsync();

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(token, container, origin: "https://evil.example"));

        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Terminal_NoToken_Is401()
    {
        var (_, container) = await RunningContainerAsync();

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(null, container));
        Assert.Contains("401", refused.Message, StringComparison.Ordinal);

        var response = await server.Anonymous.GetAsync($"/api/v1/containers/{container}/terminal");
        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "MISSING_TOKEN");
    }

    [Fact]
    public async Task Terminal_OtherUsersContainer_Is404()
    {
        var (_, container) = await RunningContainerAsync();
        var (_, otherToken) = await server.CreateUserWithTokenAsync();

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(otherToken, container));
        Assert.Contains("404", refused.Message, StringComparison.Ordinal);

        var response = await server.ClientWithToken(otherToken).GetAsync($"/api/v1/containers/{container}/terminal");
        await response.AssertErrorAsync(HttpStatusCode.NotFound, "CONTAINER_NOT_FOUND");
    }

    [Fact]
    public async Task Terminal_StoppedContainer_Is400StateConflict()
    {
        var (token, container) = await RunningContainerAsync();
        var client = server.ClientWithToken(token);
        await client.OperateAsync(container, "force-stop");

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(token, container));
        Assert.Contains("400", refused.Message, StringComparison.Ordinal);

        var response = await client.GetAsync($"/api/v1/containers/{container}/terminal");
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "OPERATION_STATE_CONFLICT");
    }

    [Fact]
    public async Task Terminal_BadSizeAndShell_Is400NamingEachField()
    {
        var (token, container) = await RunningContainerAsync();
        var client = server.ClientWithToken(token);

        var response = await client.GetAsync($"/api/v1/containers/{container}/terminal?cols=0&rows=1001&shell={Uri.EscapeDataString("/bin/sh -c id")}");
        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(["cols", "rows", "shell"], error.Fields());

        var relative = await client.GetAsync($"/api/v1/containers/{container}/terminal?shell=sh");
        Assert.Equal(["shell"], (await relative.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());
    }

    [Fact]
    public async Task Cli_PipedInput_PrintsOutputAndExitsZero()
    {
        var (token, container) = await RunningContainerAsync();
        var marker = Guid.NewGuid().ToString("N");
        var output = new MemoryStream();
        var error = new StringWriter();
        var io = new TerminalIo
        {
            Input = new MemoryStream(Encoding.UTF8.GetBytes($"echo cli-\"\"{marker}\n")),
            Output = output,
            Error = error,
            OutputWriter = new StringWriter(),
            InputIsTerminal = false,
        };
        using var endpoint = CliEndpoint(token);

        var exit = await Cli.Cli.RunAsync(["terminal", container], endpoint, io, CancellationToken.None).WaitAsync(s_timeout);

        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Contains($"cli-{marker}", Encoding.UTF8.GetString(output.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_OtherUsersContainer_ShowsTheServersMessage()
    {
        var (_, container) = await RunningContainerAsync();
        var (_, otherToken) = await server.CreateUserWithTokenAsync();
        var error = new StringWriter();
        var io = new TerminalIo
        {
            Input = new MemoryStream(),
            Output = new MemoryStream(),
            Error = error,
            OutputWriter = new StringWriter(),
        };
        using var endpoint = CliEndpoint(otherToken);

        var exit = await Cli.Cli.RunAsync(["terminal", container], endpoint, io, CancellationToken.None).WaitAsync(s_timeout);

        Assert.Equal(1, exit);
        Assert.Contains("Container not found (404 CONTAINER_NOT_FOUND)", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_Containers_ListsTheCallersContainers()
    {
        var (token, container) = await RunningContainerAsync();
        var output = new StringWriter();
        var io = new TerminalIo { Input = new MemoryStream(), Output = new MemoryStream(), Error = new StringWriter(), OutputWriter = output };
        using var endpoint = CliEndpoint(token);

        var exit = await Cli.Cli.RunAsync(["containers"], endpoint, io, CancellationToken.None).WaitAsync(s_timeout);

        Assert.Equal(0, exit);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("ID", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith(container, StringComparison.Ordinal) && l.Contains("running", StringComparison.Ordinal));
    }

    private BerthEndpoint CliEndpoint(string token) =>
        new(server.Server.BaseAddress, token, server.Server.CreateHandler(), (uri, ct) => Connect(token, uri, null, ct));

    private async Task<(string Token, string ContainerId)> RunningContainerAsync()
    {
        var (_, token) = await server.CreateUserWithTokenAsync();
        var created = await server.ClientWithToken(token).CreateRunningAsync();
        return (token, created.Id());
    }

    private Task<WebSocket> ConnectAsync(string? token, string container, string query = "", string? origin = null) =>
        Connect(token, new Uri($"ws://localhost/api/v1/containers/{container}/terminal{query}"), origin, Timeout());

    private Task<WebSocket> Connect(string? token, Uri uri, string? origin, CancellationToken cancellationToken)
    {
        var client = server.Server.CreateWebSocketClient();
        client.ConfigureRequest = request =>
        {
            if (token is not null)
            {
                request.Headers.Authorization = $"Bearer {token}";
            }
            if (origin is not null)
            {
                request.Headers.Origin = origin;
            }
        };
        return client.ConnectAsync(uri, cancellationToken);
    }

    private static Task SendTextAsync(WebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, Timeout());

    private static CancellationToken Timeout() => new CancellationTokenSource(s_timeout).Token;

    private static async Task<string> PsAsync(string replica)
    {
        var exec = await DockerProbe.Client.Exec.CreateContainerExecAsync(replica,
            new ContainerExecCreateParameters { Cmd = ["ps", "-o", "pid,args"], AttachStdout = true, AttachStderr = true });
        using var stream = await DockerProbe.Client.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters());
        var (stdout, _) = await stream.ReadOutputToEndAsync(default);
        return stdout;
    }

    /// <summary>A terminal's shell or anything it started; the replica's own process is <c>sleep infinity</c>.</summary>
    private static bool HasSessionProcess(string ps) =>
        ps.Split('\n').Any(line => line.TrimEnd().EndsWith("/bin/sh", StringComparison.Ordinal) || line.Contains("sleep 43", StringComparison.Ordinal));

    /// <summary>Everything a terminal shows, read in the background, so that a test can wait for text to appear.</summary>
    private sealed class Screen
    {
        private readonly WebSocket _socket;
        private readonly StringBuilder _text = new();
        private readonly Task _reading;

        public Screen(WebSocket socket)
        {
            _socket = socket;
            _reading = Task.Run(ReadAsync);
        }

        public Exception? Failure { get; private set; }

        public async Task UntilAsync(string text)
        {
            await Eventually.UntilAsync(() => Task.FromResult(Snapshot()), s => s.Contains(text, StringComparison.Ordinal),
                s_timeout, $"'{text}' on the terminal", TimeSpan.FromMilliseconds(20));
        }

        public Task UntilClosedAsync() => _reading.WaitAsync(s_timeout);

        private string Snapshot()
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }

        private async Task ReadAsync()
        {
            var buffer = new byte[4096];
            var decoder = Encoding.UTF8.GetDecoder();
            var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
            try
            {
                while (true)
                {
                    var result = await _socket.ReceiveAsync(buffer, Timeout());
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }
                    var count = decoder.GetChars(buffer, 0, result.Count, chars, 0);
                    lock (_text)
                    {
                        _text.Append(chars, 0, count);
                    }
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                Failure = e;
            }
        }
    }
}
