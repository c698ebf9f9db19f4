namespace Berth.Core.Commands;

/// <summary>The <c>Berth:Commands</c> section.</summary>
public sealed class CommandOptions
{
    public const string Section = "Berth:Commands";

    /// <summary>The largest timeout a request may ask for.</summary>
    public const int MaxTimeoutSeconds = 3600;

    /// <summary>How many commands run at once across the server; the rest wait in the queue.</summary>
    public int MaxConcurrent { get; set; } = 4;

    /// <summary>The timeout of a command whose request names none.</summary>
    public int DefaultTimeoutSeconds { get; set; } = 300;

    /// <summary>How much of each of stdout and stderr is kept (and streamed); the rest is dropped and flagged.</summary>
    public int MaxOutputBytes { get; set; } = 1024 * 1024;
}
