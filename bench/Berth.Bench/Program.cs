using System.Runtime.InteropServices;
using Berth.Bench;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (HelpRequestedException)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"{e.Message}\n\n{BenchOptions.Usage}");
    return 64;
}

// Ctrl+C or SIGTERM cancels the figures; cleanup still runs (it has its own time limit).
using var stop = new CancellationTokenSource();
void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    Log.Info($"{context.Signal}: stopping and cleaning up");
    stop.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);

var results = new Results();
IReadOnlyList<string> header = [];
var failed = false;
await using (var run = new BenchRun(options, results))
{
    try
    {
        header = await run.DescribeMachineAsync(stop.Token);
        await run.RunAsync(stop.Token);
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
        results.Note("The run was interrupted.");
        failed = true;
    }
    catch (BenchException e)
    {
        Log.Info(e.Message);
        results.Note(e.Message);
        failed = true;
    }
    if (failed || results.Rows.Any(r => r.Verdict == Verdict.Error))
    {
        run.PrintServerLogs();
    }
}

header = [.. header, $"Load average at end: {BenchRun.LoadAverage()}"];
var markdown = results.ToMarkdown(header);
Console.WriteLine(markdown);
if (options.OutputPath is { } output)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
    await File.WriteAllTextAsync(output, markdown);
}

// 1: something could not be measured; 2: everything was measured and a target was missed.
return failed || results.Rows.Any(r => r.Verdict == Verdict.Error) ? 1
    : results.Rows.Any(r => r.Verdict == Verdict.Fail) ? 2
    : 0;
