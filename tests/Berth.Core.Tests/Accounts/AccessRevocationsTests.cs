using Berth.Core.Accounts;

namespace Berth.Core.Tests.Accounts;

public sealed class AccessRevocationsTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly AccessRevocations _revocations = new();

    [Fact]
    public async Task RevokeUser_CancelsEveryWatchOfThatUser_AndLaterWatchesAreFresh()
    {
        var user = Guid.NewGuid();
        using var first = _revocations.Watch(user, Guid.NewGuid());
        using var second = _revocations.Watch(user, null);

        _revocations.RevokeUser(user);

        await CancelledAsync(first.Token);
        await CancelledAsync(second.Token);
        using var later = _revocations.Watch(user, Guid.NewGuid());
        Assert.False(later.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task RevokeCredential_CancelsOnlyThatCredentialsWatches()
    {
        var user = Guid.NewGuid();
        var credential = Guid.NewGuid();
        using var revoked = _revocations.Watch(user, credential);
        using var sameUserOtherCredential = _revocations.Watch(user, Guid.NewGuid());
        using var otherUser = _revocations.Watch(Guid.NewGuid(), Guid.NewGuid());

        _revocations.RevokeCredential(credential);

        await CancelledAsync(revoked.Token);
        Assert.False(sameUserOtherCredential.Token.IsCancellationRequested);
        Assert.False(otherUser.Token.IsCancellationRequested);
    }

    [Fact]
    public void Dispose_LastWatch_ForgetsTheUserAndCredential()
    {
        var user = Guid.NewGuid();
        var first = _revocations.Watch(user, Guid.NewGuid());
        var second = _revocations.Watch(user, Guid.NewGuid());
        Assert.Equal(3, _revocations.Tracked);

        first.Dispose();
        first.Dispose();
        Assert.Equal(2, _revocations.Tracked);
        second.Dispose();

        Assert.Equal(0, _revocations.Tracked);
    }

    [Fact]
    public void Dispose_WatchTakenBeforeARevocation_LeavesTheNewEntryAlone()
    {
        var user = Guid.NewGuid();
        var old = _revocations.Watch(user, null);
        _revocations.RevokeUser(user);
        using var fresh = _revocations.Watch(user, null);

        old.Dispose();

        Assert.Equal(1, _revocations.Tracked);
        _revocations.RevokeUser(user);
        Assert.True(SpinWait.SpinUntil(() => fresh.Token.IsCancellationRequested, s_timeout));
    }

    private static async Task CancelledAsync(CancellationToken token)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = token.Register(() => cancelled.TrySetResult());
        await cancelled.Task.WaitAsync(s_timeout, CancellationToken.None);
    }
}
