namespace Berth.Core.Logs;

/// <summary>Which output of a replica a line came from.</summary>
public enum LogStream
{
    Stdout,
    Stderr,
}

/// <summary>One line as the engine reports it for one replica.</summary>
public sealed record ReplicaLogLine(DateTimeOffset Time, LogStream Stream, string Text);

/// <summary>What a reader of a container's logs receives: a line, or a notice that lines were dropped.</summary>
public abstract record LogEntry(DateTimeOffset Time);

/// <summary>One line of one replica of a container.</summary>
public sealed record LogLine(DateTimeOffset Time, int Replica, LogStream Stream, string Text) : LogEntry(Time);

/// <summary>A follower fell behind and <paramref name="Count"/> lines were left out at this point.</summary>
public sealed record LogLinesDropped(DateTimeOffset Time, long Count) : LogEntry(Time)
{
    public string Text => $"{Count} lines dropped: the client is reading too slowly";
}
