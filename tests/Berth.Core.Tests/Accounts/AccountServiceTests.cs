using System.Security.Cryptography;
using System.Text;
using Berth.Core.Accounts;
using Berth.Core.Accounts.Passwords;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Berth.Core.Errors;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Core.Tests.Accounts;

public sealed class AccountServiceTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly InMemoryAccountStore _store = new();
    private readonly TokenCache _cache = new();
    private readonly AccessRevocations _revocations = new();
    private readonly AccountService _accounts;

    // Every await of a test ends within this, whatever hangs.
    private readonly CancellationTokenSource _testTimeout = new(s_timeout);

    public AccountServiceTests() => _accounts = NewAccountService(_store, _cache, _clock, _revocations);

    /// <summary>An account service with Identity's real hashing and lockout over <paramref name="store"/>.</summary>
    internal static AccountService NewAccountService(
        IAccountStore store, TokenCache cache, TimeProvider clock, AccessRevocations? revocations = null,
        PasswordPolicyOptions? passwordOptions = null, SessionService? sessions = null)
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(store)
            .AddSingleton(Options.Create(passwordOptions ?? new PasswordPolicyOptions()))
            .AddBerthPasswords()
            .BuildServiceProvider();
        sessions ??= new SessionService(new InMemorySessionStore(), new SessionCache(), new AccessRevocations(), clock, Options.Create(new SessionLifetimeOptions()));
        return new AccountService(
            store, cache, revocations ?? new AccessRevocations(), clock, services.GetRequiredService<UserManager<PasswordAccount>>(), sessions);
    }

    private CancellationToken Ct => _testTimeout.Token;

    public void Dispose() => _testTimeout.Dispose();

    [Fact]
    public async Task CreateUserAsync_ValidInput_StoresTrimmedLowercaseEmail()
    {
        var user = await _accounts.CreateUserAsync("  Ada@Example.COM ", " Ada ", "admin", Ct);

        Assert.Equal("ada@example.com", user.Email);
        Assert.Equal("Ada", user.Name);
        Assert.Equal(UserRole.Admin, user.Role);
        Assert.False(user.Banned);
        Assert.Equal(_clock.GetUtcNow(), user.CreatedAt);
        Assert.Equal(7, user.Id.Version);
        Assert.Equal(user, await _store.FindUserAsync(user.Id, Ct));
    }

    [Fact]
    public async Task CreateUserAsync_EveryFieldBad_NamesEachField()
    {
        var error = await Assert.ThrowsAsync<BerthException>(() => _accounts.CreateUserAsync("not-an-email", "", "root", Ct));

        Assert.Equal(BerthError.ValidationError, error.Error);
        var fields = Assert.IsType<Dictionary<string, object?>>(error.Details!["fields"]);
        Assert.Equal(["email", "name", "role"], fields.Keys.Order());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("a@b")]
    [InlineData("two words@example.com")]
    [InlineData("@example.com")]
    public async Task CreateUserAsync_BadEmail_IsValidationErrorOnEmail(string? email)
    {
        var error = await Assert.ThrowsAsync<BerthException>(() => _accounts.CreateUserAsync(email, "Ada", "user", Ct));

        Assert.Equal(BerthError.ValidationError, error.Error);
        Assert.Contains("email", Fields(error));
    }

    [Fact]
    public async Task CreateUserAsync_NameLongerThan100_IsValidationErrorOnName()
    {
        await _accounts.CreateUserAsync(Email(), new string('n', 100), "user", Ct);

        var error = await Assert.ThrowsAsync<BerthException>(() => _accounts.CreateUserAsync(Email(), new string('n', 101), "user", Ct));

        Assert.Equal(["name"], Fields(error));
    }

    [Fact]
    public async Task CreateUserAsync_EmailTakenInAnotherCase_IsAlreadyExists()
    {
        await _accounts.CreateUserAsync("grace@example.com", "Grace", "user", Ct);

        var error = await Assert.ThrowsAsync<BerthException>(() => _accounts.CreateUserAsync("GRACE@example.com", "Grace", "user", Ct));

        Assert.Equal(BerthError.AlreadyExists, error.Error);
    }

    [Theory]
    [InlineData(0, 10, "page")]
    [InlineData(1, 0, "limit")]
    [InlineData(1, 101, "limit")]
    public async Task ListUsersAsync_PagingOutOfRange_IsValidationError(int page, int limit, string field)
    {
        var error = await Assert.ThrowsAsync<BerthException>(() => _accounts.ListUsersAsync(page, limit, Ct));

        Assert.Equal([field], Fields(error));
    }

    [Fact]
    public async Task ListUsersAsync_SecondPage_HasTheRestAndTotals()
    {
        for (var i = 0; i < 3; i++)
        {
            await _accounts.CreateUserAsync(Email(), "U", "user", Ct);
        }

        var page = await _accounts.ListUsersAsync(2, 2, Ct);

        Assert.Single(page.Items);
        Assert.Equal(3, page.Total);
        Assert.Equal(2, page.TotalPages);
    }

    [Fact]
    public async Task UpdateUserAsync_UnknownUser_IsNotFound()
    {
        var error = await Assert.ThrowsAsync<BerthException>(() => _accounts.UpdateUserAsync(Guid.NewGuid(), "admin", null, Ct));

        Assert.Equal(BerthError.NotFound, error.Error);
    }

    [Fact]
    public async Task UpdateUserAsync_BadRole_IsValidationErrorOnRole()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);

        var error = await Assert.ThrowsAsync<BerthException>(() => _accounts.UpdateUserAsync(user.Id, "owner", null, Ct));

        Assert.Equal(["role"], Fields(error));
    }

    [Fact]
    public async Task UpdateUserAsync_RoleAndBan_AreStoredWithNewUpdatedAt()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);
        _clock.Advance(TimeSpan.FromMinutes(1));

        var updated = await _accounts.UpdateUserAsync(user.Id, "admin", true, Ct);

        Assert.Equal(UserRole.Admin, updated.Role);
        Assert.True(updated.Banned);
        Assert.Equal(_clock.GetUtcNow(), updated.UpdatedAt);
        Assert.Equal(updated, await _store.FindUserAsync(user.Id, Ct));
    }

    [Fact]
    public async Task CreateTokenAsync_NewToken_StoresOnlyItsSha256Hash()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);

        var (token, plaintext) = await _accounts.CreateTokenAsync(user.Id, "ci", null, Ct);

        Assert.StartsWith("berth_pat_", plaintext, StringComparison.Ordinal);
        Assert.Equal("berth_pat_".Length + 43, plaintext.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(plaintext))), token.TokenHash);
        Assert.StartsWith(token.Prefix, plaintext, StringComparison.Ordinal);
        Assert.True(token.Prefix.Length < plaintext.Length - 30);
        var stored = Assert.Single(await _store.ListTokensAsync(user.Id, Ct));
        Assert.Equal(token, stored);
        Assert.DoesNotContain(plaintext[10..], stored.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateTokenAsync_TwoTokens_AreDifferent()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);

        var (_, first) = await _accounts.CreateTokenAsync(user.Id, "a", null, Ct);
        var (_, second) = await _accounts.CreateTokenAsync(user.Id, "b", null, Ct);

        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-60)]
    public async Task CreateTokenAsync_ExpiryNotInTheFuture_IsValidationErrorOnExpiresAt(int secondsFromNow)
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);

        var error = await Assert.ThrowsAsync<BerthException>(
            () => _accounts.CreateTokenAsync(user.Id, "ci", _clock.GetUtcNow().AddSeconds(secondsFromNow), Ct));

        Assert.Equal(["expires_at"], Fields(error));
    }

    [Fact]
    public async Task CreateTokenAsync_MissingName_IsValidationErrorOnName()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);

        var error = await Assert.ThrowsAsync<BerthException>(() => _accounts.CreateTokenAsync(user.Id, " ", null, Ct));

        Assert.Equal(["name"], Fields(error));
    }

    [Fact]
    public async Task CreateTokenAsync_UnknownUser_IsNotFound()
    {
        var error = await Assert.ThrowsAsync<BerthException>(() => _accounts.CreateTokenAsync(Guid.NewGuid(), "ci", null, Ct));

        Assert.Equal(BerthError.NotFound, error.Error);
    }

    [Fact]
    public async Task AuthenticateAsync_LiveToken_IsSuccessWithUserAndToken()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);
        var (token, plaintext) = await _accounts.CreateTokenAsync(user.Id, "ci", null, Ct);

        var result = await _accounts.AuthenticateAsync(plaintext, Ct);

        var success = Assert.IsType<AuthenticationResult.Success>(result);
        Assert.Equal(user, success.User);
        Assert.Equal(token, success.Token);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("berth_pat_")]
    [InlineData("berth_pat_doesnotexist")]
    [InlineData("berth_pat_has space")]
    public async Task AuthenticateAsync_UnknownOrMalformed_IsInvalid(string? plaintext)
    {
        Assert.IsType<AuthenticationResult.Invalid>(await _accounts.AuthenticateAsync(plaintext, Ct));
    }

    [Fact]
    public async Task AuthenticateAsync_RepeatedCalls_LookUpTheStoreOnce()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);
        var (_, plaintext) = await _accounts.CreateTokenAsync(user.Id, "ci", null, Ct);

        for (var i = 0; i < 5; i++)
        {
            Assert.IsType<AuthenticationResult.Success>(await _accounts.AuthenticateAsync(plaintext, Ct));
        }

        Assert.Equal(1, _store.TokenLookups);
    }

    [Fact]
    public async Task AuthenticateAsync_CachedTokenPastExpiry_IsExpired()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);
        var (_, plaintext) = await _accounts.CreateTokenAsync(user.Id, "ci", _clock.GetUtcNow().AddHours(1), Ct);
        Assert.IsType<AuthenticationResult.Success>(await _accounts.AuthenticateAsync(plaintext, Ct));

        _clock.Advance(TimeSpan.FromHours(1));

        Assert.IsType<AuthenticationResult.Expired>(await _accounts.AuthenticateAsync(plaintext, Ct));
    }

    [Fact]
    public async Task AuthenticateAsync_CachedTokenRevoked_IsInvalidAtOnce()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);
        var (token, plaintext) = await _accounts.CreateTokenAsync(user.Id, "ci", null, Ct);
        Assert.IsType<AuthenticationResult.Success>(await _accounts.AuthenticateAsync(plaintext, Ct));

        await _accounts.RevokeTokenAsync(user.Id, token.Id, Ct);

        Assert.IsType<AuthenticationResult.Invalid>(await _accounts.AuthenticateAsync(plaintext, Ct));
    }

    [Fact]
    public async Task AuthenticateAsync_CachedUserBannedThenUnbanned_FollowsAtOnce()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);
        var (_, plaintext) = await _accounts.CreateTokenAsync(user.Id, "ci", null, Ct);
        Assert.IsType<AuthenticationResult.Success>(await _accounts.AuthenticateAsync(plaintext, Ct));

        await _accounts.UpdateUserAsync(user.Id, null, banned: true, Ct);
        Assert.IsType<AuthenticationResult.Banned>(await _accounts.AuthenticateAsync(plaintext, Ct));

        await _accounts.UpdateUserAsync(user.Id, null, banned: false, Ct);
        Assert.IsType<AuthenticationResult.Success>(await _accounts.AuthenticateAsync(plaintext, Ct));
    }

    [Fact]
    public async Task AuthenticateAsync_CachedUserPromoted_SeesNewRole()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);
        var (_, plaintext) = await _accounts.CreateTokenAsync(user.Id, "ci", null, Ct);
        Assert.IsType<AuthenticationResult.Success>(await _accounts.AuthenticateAsync(plaintext, Ct));

        await _accounts.UpdateUserAsync(user.Id, "admin", null, Ct);

        var success = Assert.IsType<AuthenticationResult.Success>(await _accounts.AuthenticateAsync(plaintext, Ct));
        Assert.True(success.User.IsAdmin);
    }

    [Fact]
    public async Task AuthenticateAsync_BanLandsWhileAStoreReadIsInFlight_NextCallIsBanned()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);
        var (_, plaintext) = await _accounts.CreateTokenAsync(user.Id, "ci", null, Ct);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.HoldUserLookup = hold;

        var inFlight = _accounts.AuthenticateAsync(plaintext, Ct).AsTask();
        await _store.UserLookupStarted.Task.WaitAsync(s_timeout, Ct);
        _store.HoldUserLookup = null;
        await _accounts.UpdateUserAsync(user.Id, null, banned: true, Ct);
        hold.SetResult();

        // The read that started before the ban may answer with what it saw, but must not be cached.
        Assert.IsType<AuthenticationResult.Success>(await inFlight.WaitAsync(s_timeout, Ct));
        Assert.IsType<AuthenticationResult.Banned>(await _accounts.AuthenticateAsync(plaintext, Ct));
    }

    [Fact]
    public async Task UpdateUserAsync_Ban_EndsTheUsersOpenStreamsOnly()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);
        var other = await _accounts.CreateUserAsync(Email(), "Other", "user", Ct);
        using var users = _revocations.Watch(user.Id, Guid.NewGuid());
        using var others = _revocations.Watch(other.Id, Guid.NewGuid());

        await _accounts.UpdateUserAsync(user.Id, "admin", banned: null, Ct);
        Assert.False(users.Token.IsCancellationRequested);
        await _accounts.UpdateUserAsync(user.Id, null, banned: true, Ct);

        await WhenCancelledAsync(users.Token);
        Assert.False(others.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task RevokeTokenAsync_EndsThatTokensOpenStreamsOnly()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);
        var (token, _) = await _accounts.CreateTokenAsync(user.Id, "ci", null, Ct);
        var (kept, _) = await _accounts.CreateTokenAsync(user.Id, "laptop", null, Ct);
        using var revoked = _revocations.Watch(user.Id, token.Id);
        using var live = _revocations.Watch(user.Id, kept.Id);

        await _accounts.RevokeTokenAsync(user.Id, token.Id, Ct);

        await WhenCancelledAsync(revoked.Token);
        Assert.False(live.Token.IsCancellationRequested);
    }

    private async Task WhenCancelledAsync(CancellationToken token)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = token.Register(() => cancelled.TrySetResult());
        await cancelled.Task.WaitAsync(s_timeout, Ct);
    }

    [Fact]
    public async Task RevokeTokenAsync_AnotherUsersToken_IsNotFoundAndKeepsItWorking()
    {
        var owner = await _accounts.CreateUserAsync(Email(), "Owner", "user", Ct);
        var other = await _accounts.CreateUserAsync(Email(), "Other", "user", Ct);
        var (token, plaintext) = await _accounts.CreateTokenAsync(owner.Id, "ci", null, Ct);

        var error = await Assert.ThrowsAsync<BerthException>(() => _accounts.RevokeTokenAsync(other.Id, token.Id, Ct));

        Assert.Equal(BerthError.NotFound, error.Error);
        Assert.IsType<AuthenticationResult.Success>(await _accounts.AuthenticateAsync(plaintext, Ct));
    }

    [Fact]
    public async Task RevokeTokenAsync_Twice_SecondIsNotFound()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);
        var (token, _) = await _accounts.CreateTokenAsync(user.Id, "ci", null, Ct);
        await _accounts.RevokeTokenAsync(user.Id, token.Id, Ct);

        var error = await Assert.ThrowsAsync<BerthException>(() => _accounts.RevokeTokenAsync(user.Id, token.Id, Ct));

        Assert.Equal(BerthError.NotFound, error.Error);
    }

    [Fact]
    public async Task ListTokensAsync_AfterRevoke_OmitsTheRevokedToken()
    {
        var user = await _accounts.CreateUserAsync(Email(), "U", "user", Ct);
        var (kept, _) = await _accounts.CreateTokenAsync(user.Id, "kept", null, Ct);
        var (revoked, _) = await _accounts.CreateTokenAsync(user.Id, "revoked", null, Ct);

        await _accounts.RevokeTokenAsync(user.Id, revoked.Id, Ct);

        Assert.Equal([kept.Id], (await _accounts.ListTokensAsync(user.Id, Ct)).Select(t => t.Id));
    }

    [Fact]
    public async Task EnsureBootstrapAdminAsync_ConfiguredTokenTwice_OneAdminWhomTheTokenAuthenticates()
    {
        var configured = TokenHasher.Generate();

        Assert.Null(await _accounts.EnsureBootstrapAdminAsync(configured, Ct));
        // A restart: a new service (and cache) over the same store.
        var restarted = NewAccountService(_store, new TokenCache(), _clock);
        Assert.Null(await restarted.EnsureBootstrapAdminAsync(configured, Ct));

        var users = await _store.ListUsersAsync(1, 10, Ct);
        var admin = Assert.Single(users.Items);
        Assert.Equal(AccountService.BootstrapAdminEmail, admin.Email);
        Assert.True(admin.IsAdmin);
        Assert.Single(await _store.ListTokensAsync(admin.Id, Ct));
        var success = Assert.IsType<AuthenticationResult.Success>(await restarted.AuthenticateAsync(configured, Ct));
        Assert.Equal(admin.Id, success.User.Id);
    }

    [Fact]
    public async Task EnsureBootstrapAdminAsync_ConfiguredAfterAdminWasBanned_RestoresTheAdmin()
    {
        var configured = TokenHasher.Generate();
        await _accounts.EnsureBootstrapAdminAsync(configured, Ct);
        var admin = await _store.FindUserByEmailAsync(AccountService.BootstrapAdminEmail, Ct);
        await _accounts.UpdateUserAsync(admin!.Id, "user", banned: true, Ct);

        await _accounts.EnsureBootstrapAdminAsync(configured, Ct);

        var success = Assert.IsType<AuthenticationResult.Success>(await _accounts.AuthenticateAsync(configured, Ct));
        Assert.True(success.User.IsAdmin);
    }

    [Fact]
    public async Task EnsureBootstrapAdminAsync_ConfiguredTokenWasRevoked_Throws()
    {
        var configured = TokenHasher.Generate();
        await _accounts.EnsureBootstrapAdminAsync(configured, Ct);
        var admin = await _store.FindUserByEmailAsync(AccountService.BootstrapAdminEmail, Ct);
        var token = Assert.Single(await _store.ListTokensAsync(admin!.Id, Ct));
        await _accounts.RevokeTokenAsync(admin.Id, token.Id, Ct);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _accounts.EnsureBootstrapAdminAsync(configured, Ct));
    }

    [Fact]
    public async Task EnsureBootstrapAdminAsync_ConfiguredTokenMalformed_Throws()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => _accounts.EnsureBootstrapAdminAsync("secret", Ct));
    }

    [Fact]
    public async Task EnsureBootstrapAdminAsync_NothingConfiguredEmptyStore_ReturnsAnAdminTokenOnce()
    {
        var plaintext = await _accounts.EnsureBootstrapAdminAsync(null, Ct);

        Assert.NotNull(plaintext);
        var success = Assert.IsType<AuthenticationResult.Success>(await _accounts.AuthenticateAsync(plaintext, Ct));
        Assert.True(success.User.IsAdmin);
        Assert.Null(await _accounts.EnsureBootstrapAdminAsync(null, Ct));
    }

    [Fact]
    public async Task EnsureBootstrapAdminAsync_NothingConfiguredUsersExist_ReturnsNullAndCreatesNobody()
    {
        await _accounts.CreateUserAsync(Email(), "U", "admin", Ct);

        Assert.Null(await _accounts.EnsureBootstrapAdminAsync("", Ct));
        Assert.Equal(1, (await _store.ListUsersAsync(1, 10, Ct)).Total);
    }

    private static string Email() => $"{Guid.NewGuid():N}@example.com";

    private static string[] Fields(BerthException error) =>
        [.. ((Dictionary<string, object?>)error.Details!["fields"]!).Keys.Order()];
}
