using Berth.Core.Commands;
using Berth.Core.Containers;
using Berth.Core.Engine;
using Berth.Core.Errors;
using Berth.Core.Tests.Fakes;

namespace Berth.Core.Tests.Commands;

public sealed class CommandServiceTests
{
    private static SubmitCommandRequest Script(string text, int? timeout = null) => new() { Script = text, TimeoutSeconds = timeout };

    [Fact]
    public async Task SubmitAsync_RunningContainer_StoresQueuedCommandAndWakesTheWorker()
    {
        await using var h = new CommandHarness();
        var box = h.Core.Seed(ContainerState.Running);

        var command = await h.Service.SubmitAsync(h.Core.User, box.Hostname, Script("echo hi"), CancellationToken.None);

        Assert.Equal(CommandStatus.Queued, command.Status);
        Assert.Equal(["sh", "-c", "echo hi"], command.Argv);
        Assert.Equal(300, command.TimeoutSeconds);
        Assert.Equal(box.Id, command.ContainerId);
        Assert.Equal(command, h.Store.Get(command.Id));
        Assert.True(h.TryDequeue(out var woken));
        Assert.Equal(command.Id, woken);
    }

    [Fact]
    public async Task SubmitAsync_StoppedContainer_ThrowsOperationStateConflict()
    {
        await using var h = new CommandHarness();
        var box = h.Core.Seed(ContainerState.Stopped);

        var e = await Assert.ThrowsAsync<BerthException>(() =>
            h.Service.SubmitAsync(h.Core.User, box.Id.ToString(), Script("true"), CancellationToken.None));

        Assert.Equal(BerthError.OperationStateConflict, e.Error);
        Assert.Contains("stopped", e.Message);
    }

    [Fact]
    public async Task SubmitAsync_InvalidValues_NamesEveryField()
    {
        await using var h = new CommandHarness();
        var box = h.Core.Seed(ContainerState.Running);
        var request = new SubmitCommandRequest
        {
            Argv = [],
            TimeoutSeconds = 0,
            Env = [new EnvVar("A-B", "x"), new EnvVar("OK", "1"), new EnvVar("OK", "2")],
            WorkingDir = "tmp",
        };

        var e = await Assert.ThrowsAsync<BerthException>(() => h.Service.SubmitAsync(h.Core.User, box.Hostname, request, CancellationToken.None));

        var fields = (IReadOnlyDictionary<string, object?>)e.Details!["fields"]!;
        Assert.Equal(["command", "env", "timeout_seconds", "working_dir"], fields.Keys.Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task EveryCall_OtherUsersContainer_IsNotFound()
    {
        await using var h = new CommandHarness();
        var box = h.Core.Seed(ContainerState.Running);
        var command = await h.Service.SubmitAsync(h.Core.User, box.Hostname, Script("true"), CancellationToken.None);
        var stranger = CoreHarness.NewUser();

        var submit = await Assert.ThrowsAsync<BerthException>(() => h.Service.SubmitAsync(stranger, box.Id.ToString(), Script("true"), CancellationToken.None));
        var get = await Assert.ThrowsAsync<BerthException>(() => h.Service.GetAsync(stranger, command.Id, CancellationToken.None));
        var cancel = await Assert.ThrowsAsync<BerthException>(() => h.Service.CancelAsync(stranger, command.Id, CancellationToken.None));
        var watch = await Assert.ThrowsAsync<BerthException>(() => h.Service.WatchAsync(stranger, command.Id, CancellationToken.None));
        var list = await Assert.ThrowsAsync<BerthException>(() => h.Service.ListAsync(stranger, box.Id.ToString(), 1, 10, CancellationToken.None));

        Assert.Equal(BerthError.ContainerNotFound, submit.Error);
        Assert.Equal(BerthError.ContainerNotFound, list.Error);
        Assert.All([get, cancel, watch], e => Assert.Equal(BerthError.NotFound, e.Error));
        Assert.Equal(CommandStatus.Queued, h.Store.Get(command.Id).Status);
        Assert.Equal(command.Id, (await h.Service.GetAsync(CoreHarness.NewAdmin(), command.Id, CancellationToken.None)).Id);
    }

    [Fact]
    public async Task CancelAsync_Queued_CancelsAtOnceAndTheRunnerSkipsIt()
    {
        await using var h = new CommandHarness();
        var box = h.Core.Seed(ContainerState.Running);
        var command = await h.Service.SubmitAsync(h.Core.User, box.Hostname, Script("true"), CancellationToken.None);

        var canceled = await h.Service.CancelAsync(h.Core.User, command.Id, CancellationToken.None);
        await h.Runner.RunAsync(command.Id, CancellationToken.None).Within();

        Assert.Equal(CommandStatus.Canceled, canceled.Status);
        Assert.Equal(CommandStatus.Canceled, h.Store.Get(command.Id).Status);
        Assert.Empty(h.Exec.Requests);
    }

    [Fact]
    public async Task CancelAsync_Finished_ThrowsOperationStateConflict()
    {
        await using var h = new CommandHarness();
        var box = h.Core.Seed(ContainerState.Running);
        h.Exec.ExitCode = 0;
        var command = await h.Service.SubmitAsync(h.Core.User, box.Hostname, Script("true"), CancellationToken.None);
        await h.Runner.RunAsync(command.Id, CancellationToken.None).Within();

        var e = await Assert.ThrowsAsync<BerthException>(() => h.Service.CancelAsync(h.Core.User, command.Id, CancellationToken.None));

        Assert.Equal(BerthError.OperationStateConflict, e.Error);
        Assert.Contains("succeeded", e.Message);
    }

    [Fact]
    public async Task CancelAsync_Running_KillsTheProcessThenAnswersCanceled()
    {
        await using var h = new CommandHarness();
        var box = h.Core.Seed(ContainerState.Running);
        var command = await h.Service.SubmitAsync(h.Core.User, box.Hostname, Script("sleep 100"), CancellationToken.None);
        var run = h.Runner.RunAsync(command.Id, CancellationToken.None);
        await h.Exec.Started.Within();

        var canceled = await h.Service.CancelAsync(h.Core.User, command.Id, CancellationToken.None).Within();
        await run.Within();

        Assert.Equal(CommandStatus.Canceled, canceled.Status);
        Assert.Equal(1, h.Exec.Kills);
        Assert.Equal(CommandRunner.KillArgv(command.Id), h.Exec.Requests[1].Argv);
    }
}

public sealed class CommandRunnerTests
{
    [Theory]
    [InlineData(0, CommandStatus.Succeeded)]
    [InlineData(3, CommandStatus.Failed)]
    public async Task RunAsync_ExitCode_DecidesTheStatusAndKeepsStreamsApart(int exitCode, CommandStatus expected)
    {
        await using var h = new CommandHarness();
        var box = h.Core.Seed(ContainerState.Running);
        h.Exec.Output.AddRange([(OutputStream.Stdout, "out\n"), (OutputStream.Stderr, "err\n"), (OutputStream.Stdout, "more\n")]);
        h.Exec.ExitCode = exitCode;
        var command = await h.Service.SubmitAsync(h.Core.User, box.Hostname,
            new SubmitCommandRequest { Argv = ["echo", "a b"], Env = [new EnvVar("K", "v")], WorkingDir = "/srv" }, CancellationToken.None);

        await h.Runner.RunAsync(command.Id, CancellationToken.None).Within();

        var done = h.Store.Get(command.Id);
        Assert.Equal(expected, done.Status);
        Assert.Equal(exitCode, done.ExitCode);
        Assert.Equal("out\nmore\n", done.Stdout);
        Assert.Equal("err\n", done.Stderr);
        Assert.Equal(expected == CommandStatus.Failed, done.Reason is not null);
        Assert.NotNull(done.StartedAt);
        Assert.NotNull(done.FinishedAt);
        var request = Assert.Single(h.Exec.Requests);
        Assert.Equal(["sh", "-c", $"echo $$ > {CommandRunner.PidFile(command.Id)}; \"$@\"; s=$?; rm -f {CommandRunner.PidFile(command.Id)}; exit $s", "sh", "echo", "a b"],
            request.Argv);
        Assert.Equal([new EnvVar("K", "v")], request.Env);
        Assert.Equal("/srv", request.WorkingDir);
    }

    [Fact]
    public async Task RunAsync_OutputBeyondTheLimit_KeepsTheFirstBytesAndFlagsTheStream()
    {
        await using var h = new CommandHarness(new CommandOptions { MaxOutputBytes = 5 });
        var box = h.Core.Seed(ContainerState.Running);
        h.Exec.Output.AddRange([(OutputStream.Stdout, "abc"), (OutputStream.Stdout, "defgh"), (OutputStream.Stderr, "12345")]);
        h.Exec.ExitCode = 0;
        var command = await h.Service.SubmitAsync(h.Core.User, box.Hostname, new SubmitCommandRequest { Script = "x" }, CancellationToken.None);

        await h.Runner.RunAsync(command.Id, CancellationToken.None).Within();

        var done = h.Store.Get(command.Id);
        Assert.Equal("abcde", done.Stdout);
        Assert.True(done.StdoutTruncated);
        Assert.Equal("12345", done.Stderr);
        Assert.False(done.StderrTruncated);
    }

    [Fact]
    public async Task RunAsync_LongerThanTheTimeout_KillsAndRecordsTimedOut()
    {
        await using var h = new CommandHarness();
        var box = h.Core.Seed(ContainerState.Running);
        var command = await h.Service.SubmitAsync(h.Core.User, box.Hostname, new SubmitCommandRequest { Script = "sleep 100", TimeoutSeconds = 5 }, CancellationToken.None);
        var run = h.Runner.RunAsync(command.Id, CancellationToken.None);
        await h.Exec.Started.Within();
        Assert.Equal(CommandStatus.Running, h.Store.Get(command.Id).Status);

        h.Core.Time.Advance(TimeSpan.FromSeconds(5));
        await run.Within();

        var done = h.Store.Get(command.Id);
        Assert.Equal(CommandStatus.TimedOut, done.Status);
        Assert.Contains("5 s", done.Reason);
        Assert.Equal(1, h.Exec.Kills);
    }

    [Fact]
    public async Task RunAsync_ContainerStoppedWhileQueued_FailsWithoutRunning()
    {
        await using var h = new CommandHarness();
        var box = h.Core.Seed(ContainerState.Running);
        var command = await h.Service.SubmitAsync(h.Core.User, box.Hostname, new SubmitCommandRequest { Script = "true" }, CancellationToken.None);
        var stored = await h.Core.Store.FindAsync(box.Id, CancellationToken.None);
        await h.Core.Store.TryUpdateAsync(stored! with { State = ContainerState.Stopped, Version = stored.Version + 1 }, stored.Version, null, CancellationToken.None);

        await h.Runner.RunAsync(command.Id, CancellationToken.None).Within();

        var done = h.Store.Get(command.Id);
        Assert.Equal(CommandStatus.Failed, done.Status);
        Assert.Contains("stopped", done.Reason);
        Assert.Empty(h.Exec.Requests);
    }

    [Fact]
    public async Task RunAsync_ServerStopping_KillsAndRecordsFailedWithAReason()
    {
        await using var h = new CommandHarness();
        var box = h.Core.Seed(ContainerState.Running);
        var command = await h.Service.SubmitAsync(h.Core.User, box.Hostname, new SubmitCommandRequest { Script = "sleep 100" }, CancellationToken.None);
        using var stopping = new CancellationTokenSource();
        var run = h.Runner.RunAsync(command.Id, stopping.Token);
        await h.Exec.Started.Within();

        await stopping.CancelAsync();
        await run.Within();

        var done = h.Store.Get(command.Id);
        Assert.Equal(CommandStatus.Failed, done.Status);
        Assert.Contains("shut down", done.Reason);
        Assert.Equal(1, h.Exec.Kills);
    }
}

public sealed class CommandWorkerAndStreamTests
{
    [Fact]
    public async Task RecoverAsync_RunningLeftByAPreviousServer_IsFailedAndQueuedIsRequeued()
    {
        await using var h = new CommandHarness();
        var box = h.Core.Seed(ContainerState.Running);
        var interrupted = await h.Service.SubmitAsync(h.Core.User, box.Hostname, new SubmitCommandRequest { Script = "a" }, CancellationToken.None);
        var waiting = await h.Service.SubmitAsync(h.Core.User, box.Hostname, new SubmitCommandRequest { Script = "b" }, CancellationToken.None);
        while (h.TryDequeue(out _))
        {
        }
        await h.Store.TryUpdateAsync(h.Store.Get(interrupted.Id) with { Status = CommandStatus.Running }, CommandStatus.Queued, CancellationToken.None);

        await h.Worker.RecoverAsync(CancellationToken.None);

        var failed = h.Store.Get(interrupted.Id);
        Assert.Equal(CommandStatus.Failed, failed.Status);
        Assert.Equal(CommandWorker.InterruptedReason, failed.Reason);
        Assert.Equal(CommandStatus.Queued, h.Store.Get(waiting.Id).Status);
        Assert.True(h.TryDequeue(out var requeued));
        Assert.Equal(waiting.Id, requeued);
    }

    [Fact]
    public async Task RunAsync_Worker_RunsSubmittedCommandsUntilStopped()
    {
        await using var h = new CommandHarness();
        var box = h.Core.Seed(ContainerState.Running);
        h.Exec.ExitCode = 0;
        using var stop = new CancellationTokenSource();
        var worker = h.Worker.RunAsync(stop.Token);

        var command = await h.Service.SubmitAsync(h.Core.User, box.Hostname, new SubmitCommandRequest { Script = "true" }, CancellationToken.None);
        var finished = await WaitUntilAsync(() => h.Store.Get(command.Id).IsFinished);
        await stop.CancelAsync();
        await worker.Within();

        Assert.True(finished);
        Assert.Equal(CommandStatus.Succeeded, h.Store.Get(command.Id).Status);
    }

    [Fact]
    public async Task WatchAsync_JoinedWhileRunning_GetsEarlierOutputThenLiveThenTheEnd()
    {
        await using var h = new CommandHarness();
        var box = h.Core.Seed(ContainerState.Running);
        h.Exec.Output.Add((OutputStream.Stdout, "early\n"));
        var command = await h.Service.SubmitAsync(h.Core.User, box.Hostname, new SubmitCommandRequest { Script = "x" }, CancellationToken.None);
        var run = h.Runner.RunAsync(command.Id, CancellationToken.None);
        await h.Exec.Started.Within();

        var events = await h.Service.WatchAsync(h.Core.User, command.Id, CancellationToken.None);
        var collected = CollectAsync(events);
        await h.Service.CancelAsync(h.Core.User, command.Id, CancellationToken.None).Within();
        await run.Within();

        var all = await collected.Within();
        Assert.Equal(new CommandOutput(OutputStream.Stdout, "early\n"), all[0]);
        var end = Assert.IsType<CommandFinished>(all[^1]);
        Assert.Equal(CommandStatus.Canceled, end.Command.Status);
        Assert.Equal(0, h.Feeds.Count);
    }

    [Fact]
    public async Task WatchAsync_AfterTheEnd_ReplaysStoredOutputAndTheEnd()
    {
        await using var h = new CommandHarness();
        var box = h.Core.Seed(ContainerState.Running);
        h.Exec.Output.AddRange([(OutputStream.Stderr, "e"), (OutputStream.Stdout, "o")]);
        h.Exec.ExitCode = 2;
        var command = await h.Service.SubmitAsync(h.Core.User, box.Hostname, new SubmitCommandRequest { Script = "x" }, CancellationToken.None);
        await h.Runner.RunAsync(command.Id, CancellationToken.None).Within();

        var all = await CollectAsync(await h.Service.WatchAsync(h.Core.User, command.Id, CancellationToken.None)).Within();

        Assert.Equal(3, all.Count);
        Assert.Equal(new CommandOutput(OutputStream.Stdout, "o"), all[0]);
        Assert.Equal(new CommandOutput(OutputStream.Stderr, "e"), all[1]);
        Assert.Equal(2, Assert.IsType<CommandFinished>(all[2]).Command.ExitCode);
        Assert.Equal(0, h.Feeds.Count);
    }

    private static async Task<List<CommandEvent>> CollectAsync(IAsyncEnumerable<CommandEvent> events)
    {
        var all = new List<CommandEvent>();
        await foreach (var e in events)
        {
            all.Add(e);
        }
        return all;
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        var deadline = TimeProvider.System.GetUtcNow() + TestTimeouts.Await;
        while (!condition())
        {
            if (TimeProvider.System.GetUtcNow() > deadline)
            {
                return false;
            }
            await Task.Delay(10);
        }
        return true;
    }
}
