using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Berth.Cli;

/// <summary>What the terminal command talks to: the process's console, or streams a test gives it.</summary>
internal sealed class TerminalIo
{
    public required Stream Input { get; init; }

    public required Stream Output { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>For commands that print text rather than a screen.</summary>
    public required TextWriter OutputWriter { get; init; }

    /// <summary>False when input is piped: it is sent as typed, followed by end-of-file (^D).</summary>
    public bool InputIsTerminal { get; init; }

    /// <summary>The local window in columns and rows, when there is one.</summary>
    public Func<(int Columns, int Rows)?> WindowSize { get; init; } = () => null;

    /// <summary>Calls the action whenever the local window changes size, until disposed.</summary>
    public Func<Action, IDisposable?> WatchWindowSize { get; init; } = _ => null;

    /// <summary>Puts the local terminal in raw mode; disposing restores it.</summary>
    public Func<IDisposable?> EnterRawMode { get; init; } = () => null;
}

internal static class ConsoleIo
{
    public static TerminalIo Create()
    {
        var interactive = !Console.IsInputRedirected && !Console.IsOutputRedirected;
        return new TerminalIo
        {
            Input = Console.OpenStandardInput(),
            Output = Console.OpenStandardOutput(),
            Error = Console.Error,
            OutputWriter = Console.Out,
            InputIsTerminal = !Console.IsInputRedirected,
            WindowSize = () => interactive ? (Console.WindowWidth, Console.WindowHeight) : null,
            WatchWindowSize = onChange => interactive && !OperatingSystem.IsWindows()
                ? PosixSignalRegistration.Create(PosixSignal.SIGWINCH, context =>
                {
                    context.Cancel = true;
                    onChange();
                })
                : null,
            EnterRawMode = () => interactive && !OperatingSystem.IsWindows() ? RawMode.Enter() : null,
        };
    }
}

/// <summary>
/// <c>stty raw -echo</c> for the session, so that every key (Ctrl+C included) goes to the remote shell,
/// and the saved settings back on dispose or when the process is told to end.
/// </summary>
internal sealed class RawMode : IDisposable
{
    private readonly string _saved;
    private readonly List<PosixSignalRegistration> _signals = [];
    private int _restored;

    private RawMode(string saved)
    {
        _saved = saved;
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT, PosixSignal.SIGINT })
        {
            // Restores and lets the signal take its usual course.
            _signals.Add(PosixSignalRegistration.Create(signal, _ => Dispose()));
        }
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    public static RawMode? Enter()
    {
        var saved = Stty("-g")?.Trim();
        if (string.IsNullOrEmpty(saved) || Stty("raw", "-echo") is null)
        {
            return null;
        }
        return new RawMode(saved);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _restored, 1) != 0)
        {
            return;
        }
        Stty(_saved);
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        foreach (var signal in _signals)
        {
            signal.Dispose();
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    /// <summary>Runs stty on the inherited terminal (argv, no shell); null when it fails.</summary>
    private static string? Stty(params string[] args)
    {
        var start = new ProcessStartInfo("stty") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
