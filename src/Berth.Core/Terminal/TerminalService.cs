using Berth.Core.Accounts;
using Berth.Core.Containers;
using Berth.Core.Engine;
using Berth.Core.Errors;
using Berth.Core.Projects;

namespace Berth.Core.Terminal;

/// <summary>
/// Opens interactive terminals in containers the caller may see. The shell is run as argv: it is one
/// absolute path, never a command line, so nothing from the request reaches a shell parser.
/// </summary>
public sealed class TerminalService(ContainerService containers, IContainerTerminal terminal)
{
    public const string DefaultShell = "/bin/sh";
    public const int DefaultColumns = 80;
    public const int DefaultRows = 24;
    public const int MaxSize = 1000;
    private const int MaxShellLength = 256;

    /// <summary>Records a problem with <paramref name="shell"/> in <paramref name="errors"/>; returns the shell to run.</summary>
    public static string ValidateShell(FieldErrors errors, string? shell)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrEmpty(shell))
        {
            return DefaultShell;
        }
        if (shell.Length > MaxShellLength || shell[0] != '/' || shell.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            errors.Add("shell", $"must be an absolute path without spaces of at most {MaxShellLength} characters, such as /bin/sh");
        }
        return shell;
    }

    public static bool IsValidSize(int columns, int rows) =>
        columns is >= 1 and <= MaxSize && rows is >= 1 and <= MaxSize;

    /// <summary>The container, if the caller may see it, holds <c>exec</c> on it, and it is running (a terminal needs a live process).</summary>
    public async Task<Container> ResolveAsync(Caller caller, string idOrHostname, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(caller, idOrHostname, Permission.Exec, cancellationToken).ConfigureAwait(false);
        EnsureRunning(container);
        return container;
    }

    /// <summary>Starts the shell; throws 400 OPERATION_STATE_CONFLICT when no replica runs it.</summary>
    public async Task<ITerminalSession> OpenAsync(Container container, string shell, int columns, int rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(container);
        return await terminal.OpenAsync(container.Id, new TerminalSpec([shell], columns, rows), cancellationToken).ConfigureAwait(false)
            ?? throw new BerthException(BerthError.OperationStateConflict, "Container has no running replica to open a terminal in");
    }

    private static void EnsureRunning(Container container)
    {
        if (container.State != ContainerState.Running)
        {
            throw new BerthException(BerthError.OperationStateConflict,
                $"Container is {container.State.ToWire()}; a terminal needs it running");
        }
    }
}
