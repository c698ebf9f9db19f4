using Berth.Core.Accounts;
using Berth.Core.Accounts.Passwords;
using Berth.Core.Errors;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Core.Tests.Accounts;

/// <summary>Passwords through Identity's real hasher, validators and lockout, over an in-memory store.</summary>
public sealed class PasswordTests
{
    private const string Password = "correct horse battery";
    private static readonly CancellationToken s_ct = CancellationToken.None;

    private readonly InMemoryAccountStore _store = new();
    private readonly AccountService _accounts;

    public PasswordTests() => _accounts = AccountServiceTests.NewAccountService(
        _store, new TokenCache(), new FakeTimeProvider(DateTimeOffset.UtcNow),
        passwordOptions: new PasswordPolicyOptions { LockoutAttempts = 3, LockoutDuration = TimeSpan.FromMinutes(10) });

    [Fact]
    public async Task CheckPasswordAsync_RightPassword_SucceedsWithTheUser()
    {
        var user = await _accounts.CreateUserAsync("ada@example.com", "Ada", "user", s_ct, Password);

        var result = await _accounts.CheckPasswordAsync("ADA@example.com ", Password, s_ct);

        Assert.Equal(user.Id, Assert.IsType<SignInResult.Success>(result).User.Id);
    }

    [Fact]
    public async Task CheckPasswordAsync_WrongUnknownOrUnset_AllAnswerInvalidCredentials()
    {
        await _accounts.CreateUserAsync("ada@example.com", "Ada", "user", s_ct, Password);
        await _accounts.CreateUserAsync("bob@example.com", "Bob", "user", s_ct);

        Assert.IsType<SignInResult.Invalid>(await _accounts.CheckPasswordAsync("ada@example.com", "not the password", s_ct));
        Assert.IsType<SignInResult.Invalid>(await _accounts.CheckPasswordAsync("nobody@example.com", Password, s_ct));
        Assert.IsType<SignInResult.Invalid>(await _accounts.CheckPasswordAsync("bob@example.com", Password, s_ct));
        Assert.IsType<SignInResult.Invalid>(await _accounts.CheckPasswordAsync("ada@example.com", "", s_ct));
    }

    [Fact]
    public async Task CreateUserAsync_WithPassword_StoresOnlyAnIdentityHash()
    {
        var user = await _accounts.CreateUserAsync("ada@example.com", "Ada", "user", s_ct, Password);

        var stored = await _store.FindPasswordAccountAsync(user.Id, s_ct);

        Assert.NotNull(stored?.PasswordHash);
        Assert.DoesNotContain(Password, stored.PasswordHash);
        // Identity's version 3 format: PBKDF2 with a per-password salt.
        Assert.Equal(0x01, Convert.FromBase64String(stored.PasswordHash)[0]);
    }

    [Fact]
    public async Task CheckPasswordAsync_AfterTheAllowedFailures_LocksOutEvenTheRightPassword()
    {
        await _accounts.CreateUserAsync("ada@example.com", "Ada", "user", s_ct, Password);

        Assert.IsType<SignInResult.Invalid>(await _accounts.CheckPasswordAsync("ada@example.com", "wrong one", s_ct));
        Assert.IsType<SignInResult.Invalid>(await _accounts.CheckPasswordAsync("ada@example.com", "wrong two", s_ct));
        var third = await _accounts.CheckPasswordAsync("ada@example.com", "wrong three", s_ct);

        var locked = Assert.IsType<SignInResult.LockedOut>(third);
        Assert.True(locked.Until > DateTimeOffset.UtcNow.AddMinutes(9));
        Assert.IsType<SignInResult.LockedOut>(await _accounts.CheckPasswordAsync("ada@example.com", Password, s_ct));
    }

    [Fact]
    public async Task CheckPasswordAsync_SuccessInBetween_StartsTheFailureCountAgain()
    {
        await _accounts.CreateUserAsync("ada@example.com", "Ada", "user", s_ct, Password);

        await _accounts.CheckPasswordAsync("ada@example.com", "wrong one", s_ct);
        await _accounts.CheckPasswordAsync("ada@example.com", "wrong two", s_ct);
        await _accounts.CheckPasswordAsync("ada@example.com", Password, s_ct);
        await _accounts.CheckPasswordAsync("ada@example.com", "wrong three", s_ct);

        Assert.IsType<SignInResult.Success>(await _accounts.CheckPasswordAsync("ada@example.com", Password, s_ct));
    }

    [Fact]
    public async Task UpdateUserAsync_NewPassword_ReplacesTheOldAndLiftsALockout()
    {
        var user = await _accounts.CreateUserAsync("ada@example.com", "Ada", "user", s_ct, Password);
        for (var i = 0; i < 3; i++)
        {
            await _accounts.CheckPasswordAsync("ada@example.com", "wrong", s_ct);
        }

        await _accounts.UpdateUserAsync(user.Id, role: null, banned: null, s_ct, password: "a brand new secret");

        Assert.IsType<SignInResult.Success>(await _accounts.CheckPasswordAsync("ada@example.com", "a brand new secret", s_ct));
        Assert.IsType<SignInResult.Invalid>(await _accounts.CheckPasswordAsync("ada@example.com", Password, s_ct));
    }

    [Fact]
    public async Task CheckPasswordAsync_BannedUser_IsBannedOnlyWithTheRightPassword()
    {
        var user = await _accounts.CreateUserAsync("ada@example.com", "Ada", "user", s_ct, Password);
        await _accounts.UpdateUserAsync(user.Id, role: null, banned: true, s_ct);

        Assert.IsType<SignInResult.BannedUser>(await _accounts.CheckPasswordAsync("ada@example.com", Password, s_ct));
        Assert.IsType<SignInResult.Invalid>(await _accounts.CheckPasswordAsync("ada@example.com", "wrong", s_ct));
    }

    [Theory]
    [InlineData("short")]
    [InlineData("")]
    public async Task CreateUserAsync_WeakPassword_IsAValidationErrorAndNoUser(string password)
    {
        var error = await Assert.ThrowsAsync<BerthException>(() =>
            _accounts.CreateUserAsync("ada@example.com", "Ada", "user", s_ct, password));

        Assert.Equal(BerthError.ValidationError, error.Error);
        var fields = Assert.IsType<Dictionary<string, object?>>(error.Details!["fields"]);
        Assert.True(fields.ContainsKey("password"));
        Assert.Null(await _store.FindUserByEmailAsync("ada@example.com", s_ct));
    }

    [Fact]
    public async Task ChangePasswordAsync_NeedsTheCurrentPassword()
    {
        var user = await _accounts.CreateUserAsync("ada@example.com", "Ada", "user", s_ct, Password);

        var wrong = await Assert.ThrowsAsync<BerthException>(() =>
            _accounts.ChangePasswordAsync(user.Id, "not it", "another good secret", s_ct));
        await _accounts.ChangePasswordAsync(user.Id, Password, "another good secret", s_ct);

        Assert.Equal(BerthError.InvalidCredentials, wrong.Error);
        Assert.IsType<SignInResult.Success>(await _accounts.CheckPasswordAsync("ada@example.com", "another good secret", s_ct));
        Assert.IsType<SignInResult.Invalid>(await _accounts.CheckPasswordAsync("ada@example.com", Password, s_ct));
    }
}
