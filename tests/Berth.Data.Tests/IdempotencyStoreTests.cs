using Berth.Core.Persistence;

namespace Berth.Data.Tests;

public sealed class IdempotencyStoreTests
{
    [Fact]
    public async Task FindAsync_AfterSave_ReturnsFingerprintAndResponse()
    {
        await using var store = await TestStore.CreateAsync();
        var user = Guid.NewGuid();
        var response = new StoredResponse(201, "application/json; charset=utf-8", [0x7b, 0x00, 0xff, 0x7d], "\"3\"");

        await store.Idempotency.SaveAsync(user, "key-1", "POST /api/v1/containers", response, store.Ct);
        var found = await store.Idempotency.FindAsync(user, "key-1", store.Ct);

        Assert.NotNull(found);
        Assert.Equal("POST /api/v1/containers", found.Value.Fingerprint);
        Assert.Equal(response.StatusCode, found.Value.Response.StatusCode);
        Assert.Equal(response.ContentType, found.Value.Response.ContentType);
        Assert.Equal(response.Body, found.Value.Response.Body);
        Assert.Equal(response.ETag, found.Value.Response.ETag);
    }

    [Fact]
    public async Task FindAsync_UnknownKeyOrOtherUser_ReturnsNull()
    {
        await using var store = await TestStore.CreateAsync();
        var user = Guid.NewGuid();
        await store.Idempotency.SaveAsync(user, "key", "f", new StoredResponse(200, "text/plain", [], null), store.Ct);

        Assert.Null(await store.Idempotency.FindAsync(user, "other", store.Ct));
        Assert.Null(await store.Idempotency.FindAsync(Guid.NewGuid(), "key", store.Ct));
    }

    [Fact]
    public async Task SaveAsync_DuplicateKey_KeepsFirstWriteWithoutThrowing()
    {
        await using var store = await TestStore.CreateAsync();
        var user = Guid.NewGuid();
        var first = new StoredResponse(201, "application/json", [1], "\"1\"");

        await store.Idempotency.SaveAsync(user, "key", "first", first, store.Ct);
        await store.Idempotency.SaveAsync(user, "key", "second", new StoredResponse(500, "text/plain", [2], null), store.Ct);
        var found = await store.Idempotency.FindAsync(user, "key", store.Ct);

        Assert.Equal("first", found?.Fingerprint);
        Assert.Equal(201, found?.Response.StatusCode);
        Assert.Equal([1], found?.Response.Body ?? []);
    }

    [Fact]
    public async Task SaveAsync_SameKeyForTwoUsers_KeepsBoth()
    {
        await using var store = await TestStore.CreateAsync();
        var alice = Guid.NewGuid();
        var bob = Guid.NewGuid();

        await store.Idempotency.SaveAsync(alice, "key", "alice", new StoredResponse(200, "text/plain", [1], null), store.Ct);
        await store.Idempotency.SaveAsync(bob, "key", "bob", new StoredResponse(200, "text/plain", [2], null), store.Ct);

        Assert.Equal("alice", (await store.Idempotency.FindAsync(alice, "key", store.Ct))?.Fingerprint);
        Assert.Equal("bob", (await store.Idempotency.FindAsync(bob, "key", store.Ct))?.Fingerprint);
    }
}
