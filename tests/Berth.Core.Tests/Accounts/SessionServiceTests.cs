using Berth.Core.Accounts;
using Berth.Core.Errors;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Core.Tests.Accounts;

public sealed class SessionServiceTests : IDisposable
{
    private static readonly TimeSpan s_idle = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan s_absolute = TimeSpan.FromHours(8);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly InMemoryAccountStore _accountStore = new();
    private readonly InMemorySessionStore _store = new();
    private readonly AccessRevocations _revocations = new();
    private readonly SessionService _sessions;
    private readonly AccountService _accounts;
    private readonly CancellationTokenSource _testTimeout = new(TimeSpan.FromSeconds(30));

    public SessionServiceTests()
    {
        _sessions = new SessionService(_store, new SessionCache(), _revocations, _clock,
            Options.Create(new SessionLifetimeOptions { IdleTimeout = s_idle, AbsoluteTimeout = s_absolute }));
        _accounts = AccountServiceTests.NewAccountService(_accountStore, new TokenCache(), _clock, sessions: _sessions);
    }

    private CancellationToken Ct => _testTimeout.Token;

    public void Dispose() => _testTimeout.Dispose();

    private async Task<(User User, StartedSession Started)> SignedInAsync()
    {
        var user = await _accounts.CreateUserAsync($"{Guid.NewGuid():N}@example.com", "Ada", "user", Ct);
        return (user, await _sessions.StartAsync(user, Ct));
    }

    [Fact]
    public async Task StartAsync_StoresOnlyHashes_AndTheCsrfTokenFollowsFromTheSecret()
    {
        var (user, started) = await SignedInAsync();

        var stored = Assert.Single(_store.All);
        Assert.Equal(user.Id, stored.UserId);
        Assert.Equal(SessionSecrets.Hash(started.Secret), stored.SecretHash);
        Assert.Equal(SessionSecrets.Hash(started.CsrfToken), stored.CsrfTokenHash);
        Assert.NotEqual(started.Secret, started.CsrfToken);
        Assert.Equal(started.CsrfToken, SessionSecrets.CsrfToken(started.Secret));
        Assert.Equal(_clock.GetUtcNow() + s_absolute, stored.ExpiresAt);
    }

    [Fact]
    public async Task AuthenticateAsync_Repeated_HitsTheStoreOnce()
    {
        var (_, started) = await SignedInAsync();

        for (var i = 0; i < 5; i++)
        {
            var result = await _sessions.AuthenticateAsync(started.Secret, Ct);
            Assert.Equal(started.Session.Id, Assert.IsType<SessionAuthenticationResult.Success>(result).Session.Id);
        }

        Assert.Equal(1, _store.Lookups);
        Assert.Equal(0, _store.Touches);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-session")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task AuthenticateAsync_UnknownOrMalformed_IsInvalid(string? secret)
    {
        Assert.Same(SessionAuthenticationResult.Invalid, await _sessions.AuthenticateAsync(secret, Ct));
    }

    [Fact]
    public async Task AuthenticateAsync_IdleLongerThanTheTimeout_Expires()
    {
        var (_, started) = await SignedInAsync();
        _clock.Advance(s_idle - TimeSpan.FromSeconds(1));
        Assert.IsType<SessionAuthenticationResult.Success>(await _sessions.AuthenticateAsync(started.Secret, Ct));

        _clock.Advance(s_idle);

        Assert.Same(SessionAuthenticationResult.Expired, await _sessions.AuthenticateAsync(started.Secret, Ct));
    }

    [Fact]
    public async Task AuthenticateAsync_UsedSteadily_EndsAtTheAbsoluteLifetime()
    {
        var (_, started) = await SignedInAsync();
        for (var used = TimeSpan.Zero; used < s_absolute - s_idle; used += s_idle / 2)
        {
            _clock.Advance(s_idle / 2);
            Assert.IsType<SessionAuthenticationResult.Success>(await _sessions.AuthenticateAsync(started.Secret, Ct));
        }
        // Used a minute before the end: the idle timeout alone would keep it for another half hour.
        _clock.SetUtcNow(started.Session.ExpiresAt - TimeSpan.FromMinutes(1));
        Assert.IsType<SessionAuthenticationResult.Success>(await _sessions.AuthenticateAsync(started.Secret, Ct));

        _clock.SetUtcNow(started.Session.ExpiresAt);

        Assert.Same(SessionAuthenticationResult.Expired, await _sessions.AuthenticateAsync(started.Secret, Ct));
    }

    [Fact]
    public async Task AuthenticateAsync_LastUse_IsWrittenAtMostOncePerInterval()
    {
        var (_, started) = await SignedInAsync();

        _clock.Advance(SessionService.TouchInterval);
        await _sessions.AuthenticateAsync(started.Secret, Ct);
        await _sessions.AuthenticateAsync(started.Secret, Ct);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await _sessions.AuthenticateAsync(started.Secret, Ct);

        Assert.Equal(1, _store.Touches);
        Assert.Equal(started.Session.CreatedAt + SessionService.TouchInterval, Assert.Single(_store.All).LastUsedAt);
        // The list shows the exact last use, which only the cache knows.
        Assert.Equal(_clock.GetUtcNow(), Assert.Single(await _sessions.ListAsync(started.Session.UserId, Ct)).LastUsedAt);
    }

    [Fact]
    public async Task EndAsync_CachedSession_IsInvalidAtOnce_AndItsStreamsEnd()
    {
        var (user, started) = await SignedInAsync();
        await _sessions.AuthenticateAsync(started.Secret, Ct);
        using var stream = _revocations.Watch(user.Id, started.Session.Id);

        await _sessions.EndAsync(user.Id, started.Session.Id, Ct);

        // Revocation cancels on the thread pool: await it rather than look at once.
        var ended = new TaskCompletionSource();
        using (stream.Token.Register(() => ended.TrySetResult()))
        {
            await ended.Task.WaitAsync(Ct);
        }

        Assert.Equal(new SessionAuthenticationResult.EndedSession(user.Id), await _sessions.AuthenticateAsync(started.Secret, Ct));
        Assert.Empty(await _sessions.ListAsync(user.Id, Ct));
    }

    [Fact]
    public async Task EndAsync_AnotherUsersSession_IsNotFound()
    {
        var (_, started) = await SignedInAsync();
        var (other, _) = await SignedInAsync();

        var error = await Assert.ThrowsAsync<BerthException>(() => _sessions.EndAsync(other.Id, started.Session.Id, Ct));

        Assert.Equal(BerthError.NotFound, error.Error);
        Assert.IsType<SessionAuthenticationResult.Success>(await _sessions.AuthenticateAsync(started.Secret, Ct));
    }

    [Fact]
    public async Task Ban_EndsEverySessionOfTheUser_AndLiftingItBringsNoneBack()
    {
        var (user, first) = await SignedInAsync();
        var second = await _sessions.StartAsync(user, Ct);
        await _sessions.AuthenticateAsync(first.Secret, Ct);

        await _accounts.UpdateUserAsync(user.Id, null, banned: true, Ct);
        await _accounts.UpdateUserAsync(user.Id, null, banned: false, Ct);

        Assert.Equal(new SessionAuthenticationResult.EndedSession(user.Id), await _sessions.AuthenticateAsync(first.Secret, Ct));
        Assert.Equal(new SessionAuthenticationResult.EndedSession(user.Id), await _sessions.AuthenticateAsync(second.Secret, Ct));
    }

    [Fact]
    public async Task StartAsync_DeletesTheUsersDeadSessions()
    {
        var (user, old) = await SignedInAsync();
        await _sessions.EndAsync(user.Id, old.Session.Id, Ct);

        var fresh = await _sessions.StartAsync(user, Ct);

        Assert.Equal(fresh.Session.Id, Assert.Single(_store.All).Id);
    }

    [Fact]
    public void CsrfMatches_OnlyTheSessionsToken()
    {
        var secret = SessionSecrets.Generate();
        var session = new Session
        {
            Id = Guid.NewGuid(),
            UserId = Guid.NewGuid(),
            SecretHash = SessionSecrets.Hash(secret),
            CsrfTokenHash = SessionSecrets.Hash(SessionSecrets.CsrfToken(secret)),
            CreatedAt = _clock.GetUtcNow(),
            LastUsedAt = _clock.GetUtcNow(),
            ExpiresAt = _clock.GetUtcNow() + s_absolute,
        };

        Assert.True(SessionService.CsrfMatches(session, SessionSecrets.CsrfToken(secret)));
        Assert.False(SessionService.CsrfMatches(session, null));
        Assert.False(SessionService.CsrfMatches(session, ""));
        Assert.False(SessionService.CsrfMatches(session, secret));
        Assert.False(SessionService.CsrfMatches(session, SessionSecrets.CsrfToken(SessionSecrets.Generate())));
    }
}
