using Berth.Core.Accounts;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Data.Tests;

public sealed class RefreshTokenStoreTests
{
    private static readonly DateTimeOffset s_now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static RefreshToken Token(Guid userId, Guid familyId, string hash, TimeSpan? lifetime = null) => new()
    {
        Id = Guid.NewGuid(),
        UserId = userId,
        FamilyId = familyId,
        TokenHash = hash,
        Scopes = Scopes.Read | Scopes.Deploy,
        CreatedAt = s_now,
        ExpiresAt = s_now + (lifetime ?? TimeSpan.FromDays(1)),
    };

    private static async Task<(TestStore Store, IRefreshTokenStore Tokens, Guid UserId)> CreateAsync()
    {
        var store = await TestStore.CreateAsync();
        var user = Make.User();
        await store.Accounts.AddUserAsync(user, store.Ct);
        return (store, store.Services.GetRequiredService<IRefreshTokenStore>(), user.Id);
    }

    [Fact]
    public async Task FindByHashAsync_AfterAdd_RoundTripsEveryField()
    {
        var (store, tokens, userId) = await CreateAsync();
        await using var _ = store;
        var family = Guid.NewGuid();
        var token = Token(userId, family, "hash-1");

        await tokens.AddAsync(token, s_now, store.Ct);

        Assert.Equal(token, await tokens.FindByHashAsync("hash-1", store.Ct));
        Assert.Null(await tokens.FindByHashAsync("hash-2", store.Ct));
    }

    [Fact]
    public async Task RotateAsync_SpendsOnce_TheSecondRotationOfTheSameTokenWritesNothing()
    {
        var (store, tokens, userId) = await CreateAsync();
        await using var _ = store;
        var family = Guid.NewGuid();
        var first = Token(userId, family, "first");
        await tokens.AddAsync(first, s_now, store.Ct);

        var results = await Task.WhenAll(
            tokens.RotateAsync(first.Id, Token(userId, family, "next-a"), s_now, store.Ct),
            tokens.RotateAsync(first.Id, Token(userId, family, "next-b"), s_now, store.Ct));

        Assert.Single(results, r => r);
        Assert.Equal(s_now, (await tokens.FindByHashAsync("first", store.Ct))!.UsedAt);
        var successors = new[] { await tokens.FindByHashAsync("next-a", store.Ct), await tokens.FindByHashAsync("next-b", store.Ct) };
        Assert.Single(successors, s => s is not null);
    }

    [Fact]
    public async Task RevokeFamilyAsync_RevokesEveryTokenOfTheFamilyAndNoOther()
    {
        var (store, tokens, userId) = await CreateAsync();
        await using var _ = store;
        var family = Guid.NewGuid();
        var first = Token(userId, family, "first");
        await tokens.AddAsync(first, s_now, store.Ct);
        await tokens.RotateAsync(first.Id, Token(userId, family, "second"), s_now, store.Ct);
        await tokens.AddAsync(Token(userId, Guid.NewGuid(), "other"), s_now, store.Ct);

        await tokens.RevokeFamilyAsync(family, s_now, store.Ct);

        Assert.NotNull((await tokens.FindByHashAsync("first", store.Ct))!.RevokedAt);
        Assert.NotNull((await tokens.FindByHashAsync("second", store.Ct))!.RevokedAt);
        Assert.Null((await tokens.FindByHashAsync("other", store.Ct))!.RevokedAt);
        Assert.False(await tokens.RotateAsync((await tokens.FindByHashAsync("second", store.Ct))!.Id, Token(userId, family, "third"), s_now, store.Ct));
    }

    [Fact]
    public async Task AddAsync_ForgetsTheUsersExpiredTokens()
    {
        var (store, tokens, userId) = await CreateAsync();
        await using var _ = store;
        await tokens.AddAsync(Token(userId, Guid.NewGuid(), "old", TimeSpan.FromMinutes(1)), s_now, store.Ct);

        await tokens.AddAsync(Token(userId, Guid.NewGuid(), "new"), s_now.AddHours(1), store.Ct);

        Assert.Null(await tokens.FindByHashAsync("old", store.Ct));
        Assert.NotNull(await tokens.FindByHashAsync("new", store.Ct));
    }
}
