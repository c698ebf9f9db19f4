using System.Text;

namespace Berth.Bench;

internal enum Verdict
{
    Pass,
    Fail,
    Skip,
    Error,

    /// <summary>A figure that is reported, with no target to meet.</summary>
    Info,
}

internal sealed record ResultRow(string Figure, string Berth, string Reference, string Target, Verdict Verdict, string? Note = null);

/// <summary>Collects every figure of the run and renders them as one Markdown document.</summary>
internal sealed class Results
{
    private readonly List<ResultRow> _rows = [];
    private readonly List<string> _notes = [];

    public IReadOnlyList<ResultRow> Rows => _rows;

    public void Add(ResultRow row)
    {
        _rows.Add(row);
        Log.Info($"{row.Figure}: Berth {row.Berth}, reference {row.Reference} -> {Word(row.Verdict)}");
    }

    public void Note(string note) => _notes.Add(note);

    public void MarkSince(int index, Verdict verdict, string note)
    {
        for (var i = index; i < _rows.Count; i++)
        {
            _rows[i] = _rows[i] with { Verdict = verdict, Note = note };
        }
    }

    /// <summary>A figure that could not be measured still gets its row, so that the table is always complete.</summary>
    public void Unmeasured(IEnumerable<string> figures, Verdict verdict, string why)
    {
        foreach (var figure in figures)
        {
            _rows.Add(new ResultRow(figure, "n/a", "n/a", "", verdict, why));
        }
        Log.Info($"{Word(verdict)}: {why}");
    }

    public static string Word(Verdict verdict) => verdict switch
    {
        Verdict.Pass => "PASS",
        Verdict.Fail => "FAIL",
        Verdict.Skip => "SKIP",
        Verdict.Info => "INFO",
        _ => "ERROR",
    };

    public string ToMarkdown(IEnumerable<string> header)
    {
        var text = new StringBuilder();
        text.AppendLine("## Berth benchmark");
        text.AppendLine();
        foreach (var line in header)
        {
            text.AppendLine($"- {line}");
        }
        text.AppendLine();
        text.AppendLine("| Figure | Berth | Reference | Target | Result |");
        text.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var row in _rows)
        {
            var result = Word(row.Verdict) + (row.Note is null ? "" : $" ({Escape(Shorten(row.Note))})");
            text.AppendLine($"| {Escape(row.Figure)} | {Escape(row.Berth)} | {Escape(row.Reference)} | {Escape(row.Target)} | {result} |");
        }
        if (_notes.Count > 0)
        {
            text.AppendLine();
            foreach (var note in _notes)
            {
                text.AppendLine($"- {note}");
            }
        }
        return text.ToString();
    }

    private static string Shorten(string note) => note.Length <= 200 ? note : note[..200] + "...";

    private static string Escape(string cell) => cell.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
}

internal static class Log
{
    private static readonly System.Diagnostics.Stopwatch s_clock = System.Diagnostics.Stopwatch.StartNew();

    /// <summary>Progress goes to stderr so that stdout carries only the results document.</summary>
    public static void Info(string message) =>
        Console.Error.WriteLine($"[bench {s_clock.Elapsed:mm\\:ss}] {message}");
}

/// <summary>A failure the driver explains itself; its message is the whole story, no stack trace needed.</summary>
internal sealed class BenchException(string message, Exception? inner = null) : Exception(message, inner);
