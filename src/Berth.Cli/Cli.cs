namespace Berth.Cli;

/// <summary>The commands of <c>berth</c>, independent of the process so that tests can run them against a test server.</summary>
internal static class Cli
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    public const string HelpText = """
        Usage: berth <command> [arguments]

        Commands:
          terminal <container>   Open an interactive shell in a running container (by id or hostname).
                                 Options: --shell <absolute path>  (default /bin/sh)
                                 With piped input, sends it, then end-of-file (^D), and waits for the shell to exit.
          containers             List the containers you can see.
          --help                 Show this help.

        Environment:
          BERTH_URL              The Berth server (default http://127.0.0.1:8080).
          BERTH_TOKEN            A personal access token (berth_pat_...).
        """;

    public static async Task<int> RunAsync(string[] args, BerthEndpoint endpoint, TerminalIo io, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(io);
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            await io.Error.WriteLineAsync(HelpText);
            return args.Length == 0 ? Usage : Ok;
        }
        try
        {
            switch (args[0])
            {
                case "terminal":
                    return await RunTerminalAsync(args[1..], endpoint, io, cancellationToken);
                case "containers":
                    return await ContainersCommand.RunAsync(endpoint, io.Error, io.OutputWriter, cancellationToken);
                default:
                    await io.Error.WriteLineAsync($"berth: unknown command '{args[0]}'. Run 'berth --help'.");
                    return Usage;
            }
        }
        catch (BerthCliException e)
        {
            await io.Error.WriteLineAsync($"berth: {e.Message}");
            return e.ExitCode;
        }
    }

    private static async Task<int> RunTerminalAsync(string[] args, BerthEndpoint endpoint, TerminalIo io, CancellationToken cancellationToken)
    {
        string? container = null;
        string? shell = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--shell" && i + 1 < args.Length)
            {
                shell = args[++i];
            }
            else if (container is null && !args[i].StartsWith('-'))
            {
                container = args[i];
            }
            else
            {
                throw new BerthCliException($"unexpected argument '{args[i]}'. Usage: berth terminal <container> [--shell <path>]", Usage);
            }
        }
        if (container is null)
        {
            throw new BerthCliException("which container? Usage: berth terminal <container> [--shell <path>]", Usage);
        }
        return await new TerminalSession(endpoint, io).RunAsync(container, shell, cancellationToken);
    }
}

/// <summary>A failure to report in one line, and the exit code that goes with it.</summary>
internal sealed class BerthCliException(string message, int exitCode = Cli.Failed) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
