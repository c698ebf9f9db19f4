using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Berth.Bench;

/// <summary>
/// One server the driver started (`dotnet some.dll --urls ...`) on a free loopback port, its output in a
/// log file. Disposing stops it: SIGTERM, then a kill of its process tree if it does not leave in time.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logLock = new();

    private ServerProcess(string name, Process process, StreamWriter log, string logPath, Uri baseAddress)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
        BaseAddress = baseAddress;
    }

    public string Name { get; }
    public string LogPath { get; }
    public Uri BaseAddress { get; }
    public int Pid => _process.Id;

    /// <summary>User plus system CPU time the process has used so far, from /proc/&lt;pid&gt;/stat.</summary>
    public TimeSpan CpuTime() => ProcFs.CpuTime(_process.Id);

    /// <summary>Resident memory (VmRSS) in bytes, from /proc/&lt;pid&gt;/status.</summary>
    public long ResidentBytes() => ProcFs.ResidentBytes(_process.Id);

    public static ServerProcess Start(
        string name, string dll, string logPath, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        if (!File.Exists(dll))
        {
            throw new BenchException($"{name}: {dll} does not exist; build it first (dotnet build -c Release).");
        }
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var info = new ProcessStartInfo("dotnet")
        {
            // The content root is the working directory: this is where appsettings.json is found.
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(baseAddress.ToString().TrimEnd('/'));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var server = new ServerProcess(name, process, log, logPath, baseAddress);
        process.OutputDataReceived += (_, e) => server.Write(e.Data);
        process.ErrorDataReceived += (_, e) => server.Write(e.Data);
        if (!process.Start())
        {
            throw new BenchException($"{name}: could not start dotnet {dll}.");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Log.Info($"{name}: started pid {process.Id} on {baseAddress} (log: {logPath})");
        return server;
    }

    /// <summary>Waits until one of <paramref name="paths"/> answers 200, failing fast when the process exits.</summary>
    public async Task<string> WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken, params string[] paths)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        string last = "no answer yet";
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new BenchException($"{Name} exited with code {_process.ExitCode} before it was ready (its log is printed below).");
            }
            foreach (var path in paths)
            {
                try
                {
                    using var response = await client.GetAsync(path, cancellationToken);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        Log.Info($"{Name}: ready ({path} 200 after {clock.Elapsed.TotalSeconds:0.0} s)");
                        return path;
                    }
                    last = $"{path} answered {(int)response.StatusCode}";
                }
                catch (HttpRequestException e)
                {
                    last = $"{path}: {e.Message}";
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    last = $"{path}: no answer within 5 s";
                }
            }
            await Task.Delay(200, cancellationToken);
        }
        throw new BenchException($"{Name} was not ready within {timeout.TotalSeconds:0} s ({last}; its log is printed below).");
    }

    public string Tail(int lines = 20)
    {
        lock (_logLock)
        {
            _log.Flush();
        }
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"(log unreadable: {e.Message})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // A graceful stop first, as an operator would; .NET has no managed SIGTERM for another process.
                using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                {
                    await term.WaitForExitAsync();
                }
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await _process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    Log.Info($"{Name}: did not stop within 10 s of SIGTERM; killing pid {_process.Id}");
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
            Log.Info($"{Name}: stopped");
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Log.Info($"{Name}: stopping failed: {e.Message}");
        }
        finally
        {
            _process.Dispose();
            lock (_logLock)
            {
                _log.Dispose();
            }
        }
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_logLock)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The last lines of a process being torn down; nobody reads them any more.
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
