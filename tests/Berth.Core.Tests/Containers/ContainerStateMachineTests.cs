using Berth.Core.Containers;
using Berth.Core.Errors;

namespace Berth.Core.Tests.Containers;

public sealed class ContainerStateMachineTests
{
    // DESIGN.md "States and operations", written out again here so the test does not trust the code's own table.
    private static readonly Dictionary<ContainerOperation, ContainerState[]> s_designTable = new()
    {
        [ContainerOperation.Start] = [ContainerState.Stopped, ContainerState.Failed],
        [ContainerOperation.Stop] = [ContainerState.Running, ContainerState.Paused, ContainerState.Deploying],
        [ContainerOperation.ForceStop] =
            [ContainerState.Running, ContainerState.Paused, ContainerState.Deploying, ContainerState.Provisioning, ContainerState.Failed],
        [ContainerOperation.Restart] = [ContainerState.Running, ContainerState.Failed],
        [ContainerOperation.Pause] = [ContainerState.Running],
        [ContainerOperation.Resume] = [ContainerState.Paused],
        [ContainerOperation.Deploy] = [ContainerState.Running, ContainerState.Stopped, ContainerState.Failed],
        [ContainerOperation.Remove] = Enum.GetValues<ContainerState>().Where(s => s != ContainerState.Deleting).ToArray(),
    };

    public static TheoryData<ContainerState, ContainerOperation> AllowedPairs()
    {
        var data = new TheoryData<ContainerState, ContainerOperation>();
        foreach (var (operation, states) in s_designTable)
        {
            foreach (var state in states.Where(s => s != ContainerState.Expired))
            {
                data.Add(state, operation);
            }
        }
        return data;
    }

    public static TheoryData<ContainerState, ContainerOperation> ConflictingPairs()
    {
        var data = new TheoryData<ContainerState, ContainerOperation>();
        foreach (var (operation, states) in s_designTable)
        {
            foreach (var state in Enum.GetValues<ContainerState>().Where(s => s != ContainerState.Expired && !states.Contains(s)))
            {
                data.Add(state, operation);
            }
        }
        return data;
    }

    public static TheoryData<ContainerOperation> OperationsOtherThanRemove() =>
        new(s_designTable.Keys.Where(o => o != ContainerOperation.Remove));

    [Fact]
    public void DesignTable_CoversEveryStateAndOperation_PairCountIsComplete()
    {
        var states = Enum.GetValues<ContainerState>().Length;
        var operations = s_designTable.Count;
        var expired = operations;
        Assert.Equal(states * operations, AllowedPairs().Count + ConflictingPairs().Count + expired);
    }

    [Theory]
    [MemberData(nameof(AllowedPairs))]
    public void EnsureAllowed_PairInDesignTable_DoesNotThrow(ContainerState state, ContainerOperation operation)
    {
        ContainerStateMachine.EnsureAllowed(state, operation);
        Assert.True(ContainerStateMachine.Allows(state, operation));
    }

    [Theory]
    [MemberData(nameof(ConflictingPairs))]
    public void EnsureAllowed_PairNotInDesignTable_ThrowsStateConflictNamingState(ContainerState state, ContainerOperation operation)
    {
        var ex = Assert.Throws<BerthException>(() => ContainerStateMachine.EnsureAllowed(state, operation));

        Assert.Equal(BerthError.OperationStateConflict, ex.Error);
        Assert.Equal(400, ex.Error.Status);
        Assert.False(ContainerStateMachine.Allows(state, operation));
        var expectedInMessage = state == ContainerState.Deleting ? "being deleted" : state.ToWire();
        Assert.Contains(expectedInMessage, ex.Message, StringComparison.Ordinal);
        Assert.Equal(state.ToWire(), ex.Details!["state"]);
        Assert.Equal(operation.ToWire(), ex.Details!["operation"]);
    }

    [Theory]
    [InlineData(ContainerState.Running, ContainerOperation.Start, "Container is already running")]
    [InlineData(ContainerState.Running, ContainerOperation.Resume, "Container is already running")]
    [InlineData(ContainerState.Stopped, ContainerOperation.Stop, "Container is already stopped")]
    [InlineData(ContainerState.Paused, ContainerOperation.Pause, "Container is already paused")]
    [InlineData(ContainerState.Deleting, ContainerOperation.Remove, "Container is being deleted")]
    [InlineData(ContainerState.Provisioning, ContainerOperation.Pause, "Cannot pause a container that is provisioning")]
    public void EnsureAllowed_CommonConflicts_ReadableMessage(ContainerState state, ContainerOperation operation, string message)
    {
        var ex = Assert.Throws<BerthException>(() => ContainerStateMachine.EnsureAllowed(state, operation));

        Assert.Equal(message, ex.Message);
    }

    [Theory]
    [MemberData(nameof(OperationsOtherThanRemove))]
    public void EnsureAllowed_ExpiredContainer_ThrowsNotPermittedOnExpired(ContainerOperation operation)
    {
        var ex = Assert.Throws<BerthException>(() => ContainerStateMachine.EnsureAllowed(ContainerState.Expired, operation));

        Assert.Equal(BerthError.OperationNotPermittedOnExpired, ex.Error);
        Assert.Equal(403, ex.Error.Status);
    }

    [Fact]
    public void EnsureAllowed_RemoveExpired_IsAllowed()
    {
        ContainerStateMachine.EnsureAllowed(ContainerState.Expired, ContainerOperation.Remove);
    }

    [Theory]
    [InlineData(ContainerState.Running)]
    [InlineData(ContainerState.Provisioning)]
    public void EnsureAllowed_CreateAsAnOperation_IsNeverAllowed(ContainerState state)
    {
        var ex = Assert.Throws<BerthException>(() => ContainerStateMachine.EnsureAllowed(state, ContainerOperation.Create));

        Assert.Equal(BerthError.OperationStateConflict, ex.Error);
    }

    [Theory]
    [InlineData(ContainerOperation.Create, ContainerState.Running)]
    [InlineData(ContainerOperation.Start, ContainerState.Running)]
    [InlineData(ContainerOperation.Restart, ContainerState.Running)]
    [InlineData(ContainerOperation.Resume, ContainerState.Running)]
    [InlineData(ContainerOperation.Deploy, ContainerState.Running)]
    [InlineData(ContainerOperation.Stop, ContainerState.Stopped)]
    [InlineData(ContainerOperation.ForceStop, ContainerState.Stopped)]
    [InlineData(ContainerOperation.Pause, ContainerState.Paused)]
    [InlineData(ContainerOperation.Remove, ContainerState.Deleting)]
    public void TargetOf_EachOperation_IsTheDesignTarget(ContainerOperation operation, ContainerState target)
    {
        Assert.Equal(target, ContainerStateMachine.TargetOf(operation));
    }

    [Fact]
    public void TargetOf_EveryOperation_HasATarget()
    {
        foreach (var operation in Enum.GetValues<ContainerOperation>())
        {
            _ = ContainerStateMachine.TargetOf(operation);
        }
    }

    [Fact]
    public void WireNames_EveryState_RoundTrips()
    {
        foreach (var state in Enum.GetValues<ContainerState>())
        {
            Assert.True(WireNames.TryParseState(state.ToWire(), out var parsed));
            Assert.Equal(state, parsed);
        }
        Assert.Equal(
            new[] { "deleting", "deploying", "expired", "failed", "paused", "provisioning", "running", "stopped" },
            WireNames.States.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void WireNames_EveryOperation_RoundTrips()
    {
        foreach (var operation in Enum.GetValues<ContainerOperation>())
        {
            Assert.True(WireNames.TryParseOperation(operation.ToWire(), out var parsed));
            Assert.Equal(operation, parsed);
        }
        Assert.Equal("force-stop", ContainerOperation.ForceStop.ToWire());
    }

    [Fact]
    public void TryParseOperation_Unpause_IsResume()
    {
        Assert.True(WireNames.TryParseOperation("unpause", out var operation));
        Assert.Equal(ContainerOperation.Resume, operation);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Start")]
    [InlineData("forcestop")]
    [InlineData("kill")]
    public void TryParseOperation_UnknownName_ReturnsFalse(string? name)
    {
        Assert.False(WireNames.TryParseOperation(name, out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Running")]
    [InlineData("creating")]
    [InlineData("error")]
    public void TryParseState_UnknownName_ReturnsFalse(string? name)
    {
        Assert.False(WireNames.TryParseState(name, out _));
    }
}
