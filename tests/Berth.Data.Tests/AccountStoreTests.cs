using Berth.Core.Accounts;
using Berth.Core.Accounts.Passwords;
using Berth.Core.Errors;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Data.Tests;

public sealed class AccountStoreTests
{
    [Fact]
    public async Task FindUserAsync_AfterAdd_RoundTripsEveryField()
    {
        await using var store = await TestStore.CreateAsync();
        var user = Make.User() with
        {
            Role = UserRole.Admin,
            Banned = true,
            CreatedAt = new DateTimeOffset(2025, 2, 3, 4, 5, 6, TimeSpan.FromHours(1)).AddTicks(7),
        };

        await store.Accounts.AddUserAsync(user, store.Ct);
        var found = await store.Accounts.FindUserAsync(user.Id, store.Ct);

        Assert.Equal(user, found);
        Assert.Equal(TimeSpan.Zero, found!.CreatedAt.Offset);
        Assert.Null(await store.Accounts.FindUserAsync(Guid.NewGuid(), store.Ct));
    }

    [Fact]
    public async Task SavePasswordAccountAsync_InsertsThenReplaces()
    {
        await using var store = await TestStore.CreateAsync();
        var user = Make.User();
        await store.Accounts.AddUserAsync(user, store.Ct);
        Assert.Null(await store.Accounts.FindPasswordAccountAsync(user.Id, store.Ct));

        await store.Accounts.SavePasswordAccountAsync(
            new PasswordAccount { UserId = user.Id, Email = user.Email, PasswordHash = "h1", AccessFailedCount = 2 }, store.Ct);
        var lockoutEnd = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await store.Accounts.SavePasswordAccountAsync(
            new PasswordAccount { UserId = user.Id, Email = user.Email, PasswordHash = "h2", SecurityStamp = "s", LockoutEnd = lockoutEnd }, store.Ct);
        var found = await store.Accounts.FindPasswordAccountAsync(user.Id, store.Ct);

        Assert.Equal(("h2", "s", 0, lockoutEnd, user.Email),
            (found!.PasswordHash, found.SecurityStamp, found.AccessFailedCount, found.LockoutEnd, found.Email));
    }

    [Fact]
    public async Task SavePasswordAccountAsync_UnknownUser_ThrowsNotFound()
    {
        await using var store = await TestStore.CreateAsync();

        var error = await Assert.ThrowsAsync<BerthException>(() => store.Accounts.SavePasswordAccountAsync(
            new PasswordAccount { UserId = Guid.NewGuid(), Email = "x@example.test", PasswordHash = "h" }, store.Ct));

        Assert.Equal(BerthError.NotFound, error.Error);
    }

    [Fact]
    public async Task FindUserByEmailAsync_OtherCase_FindsUser()
    {
        await using var store = await TestStore.CreateAsync();
        var user = Make.User("Ada.Lovelace@Example.test");
        await store.Accounts.AddUserAsync(user, store.Ct);

        var found = await store.Accounts.FindUserByEmailAsync("ada.lovelace@EXAMPLE.TEST", store.Ct);

        Assert.Equal(user.Id, found?.Id);
        Assert.Equal("Ada.Lovelace@Example.test", found?.Email);
        Assert.Null(await store.Accounts.FindUserByEmailAsync("nobody@example.test", store.Ct));
    }

    [Fact]
    public async Task AddUserAsync_EmailTakenInAnotherCase_ThrowsAlreadyExists()
    {
        await using var store = await TestStore.CreateAsync();
        await store.Accounts.AddUserAsync(Make.User("ops@example.test"), store.Ct);

        var e = await Assert.ThrowsAsync<BerthException>(
            () => store.Accounts.AddUserAsync(Make.User("OPS@example.test"), store.Ct));

        Assert.Equal(BerthError.AlreadyExists, e.Error);
    }

    [Fact]
    public async Task UpdateUserAsync_ChangedFields_AreStored()
    {
        await using var store = await TestStore.CreateAsync();
        var user = Make.User();
        await store.Accounts.AddUserAsync(user, store.Ct);
        var changed = user with { Name = "Renamed", Banned = true, Email = "new@example.test", UpdatedAt = Make.T0.AddDays(1) };

        await store.Accounts.UpdateUserAsync(changed, store.Ct);

        Assert.Equal(changed, await store.Accounts.FindUserAsync(user.Id, store.Ct));
        Assert.Equal(user.Id, (await store.Accounts.FindUserByEmailAsync("NEW@example.test", store.Ct))?.Id);
    }

    [Fact]
    public async Task UpdateUserAsync_EmailOfAnotherUser_ThrowsAlreadyExists()
    {
        await using var store = await TestStore.CreateAsync();
        var first = Make.User("first@example.test");
        var second = Make.User("second@example.test");
        await store.Accounts.AddUserAsync(first, store.Ct);
        await store.Accounts.AddUserAsync(second, store.Ct);

        var e = await Assert.ThrowsAsync<BerthException>(
            () => store.Accounts.UpdateUserAsync(second with { Email = "First@example.test" }, store.Ct));

        Assert.Equal(BerthError.AlreadyExists, e.Error);
        Assert.Equal("second@example.test", (await store.Accounts.FindUserAsync(second.Id, store.Ct))?.Email);
    }

    [Fact]
    public async Task UpdateUserAsync_UnknownUser_ThrowsNotFound()
    {
        await using var store = await TestStore.CreateAsync();

        var e = await Assert.ThrowsAsync<BerthException>(() => store.Accounts.UpdateUserAsync(Make.User(), store.Ct));

        Assert.Equal(BerthError.NotFound, e.Error);
    }

    [Fact]
    public async Task ListUsersAsync_Pages_CountTotalInCreationOrder()
    {
        await using var store = await TestStore.CreateAsync();
        var users = Enumerable.Range(0, 5).Select(i => Make.User() with { CreatedAt = Make.T0.AddMinutes(i) }).ToList();
        foreach (var u in users)
        {
            await store.Accounts.AddUserAsync(u, store.Ct);
        }

        var first = await store.Accounts.ListUsersAsync(1, 2, store.Ct);
        var last = await store.Accounts.ListUsersAsync(3, 2, store.Ct);

        Assert.Equal(5, first.Total);
        Assert.Equal(3, first.TotalPages);
        Assert.Equal(users.Take(2).Select(u => u.Id), first.Items.Select(u => u.Id));
        Assert.Equal([users[4].Id], last.Items.Select(u => u.Id));
    }

    [Fact]
    public async Task FindTokenByHashAsync_KnownHash_ReturnsToken()
    {
        await using var store = await TestStore.CreateAsync();
        var user = Make.User();
        await store.Accounts.AddUserAsync(user, store.Ct);
        var token = Make.Token(user.Id) with { ExpiresAt = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.FromHours(-8)) };
        await store.Accounts.AddTokenAsync(token, store.Ct);

        var found = await store.Accounts.FindTokenByHashAsync(token.TokenHash, store.Ct);

        Assert.Equal(token, found);
        Assert.Equal(TimeSpan.Zero, found!.ExpiresAt!.Value.Offset);
        Assert.Null(await store.Accounts.FindTokenByHashAsync("unknown", store.Ct));
    }

    [Fact]
    public async Task FindTokenByHashAsync_ScopedAndUnscopedTokens_KeepTheirScopes()
    {
        await using var store = await TestStore.CreateAsync();
        var user = Make.User();
        await store.Accounts.AddUserAsync(user, store.Ct);
        var scoped = Make.Token(user.Id) with { Scopes = Scopes.Read | Scopes.Deploy };
        var unscoped = Make.Token(user.Id) with { Scopes = null };
        await store.Accounts.AddTokenAsync(scoped, store.Ct);
        await store.Accounts.AddTokenAsync(unscoped, store.Ct);

        Assert.Equal(Scopes.Read | Scopes.Deploy, (await store.Accounts.FindTokenByHashAsync(scoped.TokenHash, store.Ct))!.Scopes);
        // A token from before scopes reads back as null, which means its user's full access.
        Assert.Null((await store.Accounts.FindTokenByHashAsync(unscoped.TokenHash, store.Ct))!.Scopes);
    }

    [Fact]
    public async Task AuditStore_ListAsync_FiltersAndIsNewestFirst()
    {
        await using var store = await TestStore.CreateAsync();
        var audit = store.Services.GetRequiredService<Berth.Core.Audit.IAuditStore>();
        var userId = Guid.NewGuid();
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Berth.Core.Audit.AuditEntry Entry(int minutes, string method, int status, Guid? user) => new()
        {
            Id = Guid.CreateVersion7(t0.AddMinutes(minutes)),
            Time = t0.AddMinutes(minutes),
            UserId = user,
            Method = method,
            Path = "/x",
            Status = status,
            RequestId = $"r{minutes}",
        };
        await audit.AddAsync([Entry(1, "POST", 201, userId), Entry(2, "DELETE", 403, userId), Entry(3, "POST", 401, null)], store.Ct);

        var all = await audit.ListAsync(new(null, null, null, null, null, 1, 10), store.Ct);
        var denied = await audit.ListAsync(new(null, true, null, null, null, 1, 10), store.Ct);
        var mine = await audit.ListAsync(new(userId, null, "POST", null, null, 1, 10), store.Ct);
        var window = await audit.ListAsync(new(null, null, null, t0.AddMinutes(2), t0.AddMinutes(3), 1, 10), store.Ct);

        Assert.Equal(["r3", "r2", "r1"], all.Items.Select(e => e.RequestId));
        Assert.Equal(["r3", "r2"], denied.Items.Select(e => e.RequestId));
        Assert.Equal(["r1"], mine.Items.Select(e => e.RequestId));
        Assert.Equal(["r2"], window.Items.Select(e => e.RequestId));
    }

    [Fact]
    public async Task AddTokenAsync_DuplicateHash_ThrowsAlreadyExists()
    {
        await using var store = await TestStore.CreateAsync();
        var user = Make.User();
        await store.Accounts.AddUserAsync(user, store.Ct);
        await store.Accounts.AddTokenAsync(Make.Token(user.Id, "same-hash"), store.Ct);

        var e = await Assert.ThrowsAsync<BerthException>(
            () => store.Accounts.AddTokenAsync(Make.Token(user.Id, "same-hash"), store.Ct));

        Assert.Equal(BerthError.AlreadyExists, e.Error);
    }

    [Fact]
    public async Task ListTokensAsync_RevokedToken_IsExcluded()
    {
        await using var store = await TestStore.CreateAsync();
        var user = Make.User();
        var other = Make.User();
        await store.Accounts.AddUserAsync(user, store.Ct);
        await store.Accounts.AddUserAsync(other, store.Ct);
        var live = Make.Token(user.Id);
        var revoked = Make.Token(user.Id) with { CreatedAt = Make.T0.AddMinutes(1) };
        foreach (var t in new[] { live, revoked, Make.Token(other.Id) })
        {
            await store.Accounts.AddTokenAsync(t, store.Ct);
        }

        Assert.True(await store.Accounts.RevokeTokenAsync(user.Id, revoked.Id, Make.T0.AddHours(1), store.Ct));
        var tokens = await store.Accounts.ListTokensAsync(user.Id, store.Ct);

        Assert.Equal([live.Id], tokens.Select(t => t.Id));
        Assert.Equal(Make.T0.AddHours(1), (await store.Accounts.FindTokenByHashAsync(revoked.TokenHash, store.Ct))?.RevokedAt);
    }

    [Fact]
    public async Task RevokeTokenAsync_AnotherUsersOrRevokedToken_ReturnsFalse()
    {
        await using var store = await TestStore.CreateAsync();
        var owner = Make.User();
        var intruder = Make.User();
        await store.Accounts.AddUserAsync(owner, store.Ct);
        await store.Accounts.AddUserAsync(intruder, store.Ct);
        var token = Make.Token(owner.Id);
        await store.Accounts.AddTokenAsync(token, store.Ct);

        Assert.False(await store.Accounts.RevokeTokenAsync(intruder.Id, token.Id, Make.T0, store.Ct));
        Assert.Null((await store.Accounts.FindTokenByHashAsync(token.TokenHash, store.Ct))?.RevokedAt);
        Assert.True(await store.Accounts.RevokeTokenAsync(owner.Id, token.Id, Make.T0, store.Ct));
        Assert.False(await store.Accounts.RevokeTokenAsync(owner.Id, token.Id, Make.T0.AddMinutes(1), store.Ct));
        Assert.False(await store.Accounts.RevokeTokenAsync(owner.Id, Guid.NewGuid(), Make.T0, store.Ct));
    }
}
