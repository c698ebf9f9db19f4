using Berth.Core.Accounts;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Data.Tests;

public sealed class SessionStoreTests
{
    private static readonly DateTimeOffset s_now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static Session NewSession(Guid userId, DateTimeOffset? expiresAt = null) => new()
    {
        Id = Guid.NewGuid(),
        UserId = userId,
        SecretHash = SessionSecrets.Hash(SessionSecrets.Generate()),
        CsrfTokenHash = SessionSecrets.Hash(Guid.NewGuid().ToString()),
        CreatedAt = s_now,
        LastUsedAt = s_now,
        ExpiresAt = expiresAt ?? s_now.AddHours(12),
    };

    private static async Task<(TestStore Store, ISessionStore Sessions, Guid UserId)> NewStoreWithUserAsync()
    {
        var store = await TestStore.CreateAsync();
        var user = Make.User();
        await store.Accounts.AddUserAsync(user, store.Ct);
        return (store, store.Services.GetRequiredService<ISessionStore>(), user.Id);
    }

    [Fact]
    public async Task FindSessionByHashAsync_AfterAdd_RoundTripsEveryField()
    {
        var (store, sessions, userId) = await NewStoreWithUserAsync();
        await using var _ = store;
        var session = NewSession(userId);

        await sessions.AddSessionAsync(session, store.Ct);

        Assert.Equal(session, await sessions.FindSessionByHashAsync(session.SecretHash, store.Ct));
        Assert.Null(await sessions.FindSessionByHashAsync(SessionSecrets.Hash("other"), store.Ct));
    }

    [Fact]
    public async Task TouchSessionAsync_OnlyMovesLastUseForward()
    {
        var (store, sessions, userId) = await NewStoreWithUserAsync();
        await using var _ = store;
        var session = NewSession(userId);
        await sessions.AddSessionAsync(session, store.Ct);

        await sessions.TouchSessionAsync(session.Id, s_now.AddMinutes(5), store.Ct);
        await sessions.TouchSessionAsync(session.Id, s_now.AddMinutes(2), store.Ct);

        Assert.Equal(s_now.AddMinutes(5), (await sessions.FindSessionByHashAsync(session.SecretHash, store.Ct))!.LastUsedAt);
    }

    [Fact]
    public async Task EndAndList_OnlyTheOwnersLiveSessions()
    {
        var (store, sessions, userId) = await NewStoreWithUserAsync();
        await using var _ = store;
        var live = NewSession(userId);
        var ended = NewSession(userId);
        var expired = NewSession(userId, s_now.AddMinutes(-1));
        foreach (var s in new[] { live, ended, expired })
        {
            await sessions.AddSessionAsync(s, store.Ct);
        }

        Assert.False(await sessions.EndSessionAsync(Guid.NewGuid(), ended.Id, s_now, store.Ct));
        Assert.True(await sessions.EndSessionAsync(userId, ended.Id, s_now, store.Ct));
        Assert.False(await sessions.EndSessionAsync(userId, ended.Id, s_now, store.Ct));

        Assert.Equal([live.Id], (await sessions.ListSessionsAsync(userId, s_now, store.Ct)).Select(s => s.Id));
        Assert.Equal(s_now, (await sessions.FindSessionByHashAsync(ended.SecretHash, store.Ct))!.EndedAt);
    }

    [Fact]
    public async Task EndSessionsAndDeleteDead_LeaveNothingOfTheUser()
    {
        var (store, sessions, userId) = await NewStoreWithUserAsync();
        await using var _ = store;
        var first = NewSession(userId);
        var second = NewSession(userId);
        await sessions.AddSessionAsync(first, store.Ct);
        await sessions.AddSessionAsync(second, store.Ct);

        await sessions.EndSessionsAsync(userId, s_now, store.Ct);
        Assert.Empty(await sessions.ListSessionsAsync(userId, s_now, store.Ct));
        Assert.NotNull(await sessions.FindSessionByHashAsync(first.SecretHash, store.Ct));

        await sessions.DeleteDeadSessionsAsync(userId, s_now, store.Ct);

        Assert.Null(await sessions.FindSessionByHashAsync(first.SecretHash, store.Ct));
        Assert.Null(await sessions.FindSessionByHashAsync(second.SecretHash, store.Ct));
    }
}
