using Berth.Core.Accounts;
using Berth.Core.Errors;

namespace Berth.Core.Tests.Accounts;

public sealed class TokenScopesTests
{
    private static readonly DateTimeOffset s_now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static User NewUser(UserRole role) => new()
    {
        Id = Guid.NewGuid(),
        Email = "a@example.com",
        Name = "A",
        Role = role,
        CreatedAt = s_now,
        UpdatedAt = s_now,
    };

    private static AccessToken NewToken(Scopes? scopes) => new()
    {
        Id = Guid.NewGuid(),
        UserId = Guid.NewGuid(),
        Name = "t",
        TokenHash = "h",
        Prefix = "p",
        CreatedAt = s_now,
        Scopes = scopes,
    };

    [Fact]
    public void Resolve_OmittedForAdmin_IsAllFive()
    {
        var errors = new FieldErrors();
        var admin = NewUser(UserRole.Admin);

        var scopes = TokenScopes.Resolve(errors, null, admin, Scopes.All);

        Assert.True(errors.IsEmpty);
        Assert.Null(scopes);
        Assert.Equal(["read", "write", "exec", "deploy", "admin"], TokenScopes.ToNames(TokenScopes.Effective(NewToken(scopes), admin)));
    }

    [Fact]
    public void Resolve_OmittedForUser_IsAllButAdmin()
    {
        var errors = new FieldErrors();
        var user = NewUser(UserRole.User);

        var scopes = TokenScopes.Resolve(errors, null, user, Scopes.All);

        Assert.True(errors.IsEmpty);
        Assert.Null(scopes);
        Assert.Equal(["read", "write", "exec", "deploy"], TokenScopes.ToNames(TokenScopes.Effective(NewToken(scopes), user)));
    }

    [Fact]
    public void Resolve_OmittedByANarrowToken_IsNoWiderThanThatToken()
    {
        var errors = new FieldErrors();

        var scopes = TokenScopes.Resolve(errors, null, NewUser(UserRole.Admin), Scopes.Read | Scopes.Deploy);

        Assert.True(errors.IsEmpty);
        Assert.Equal(Scopes.Read | Scopes.Deploy, scopes);
    }

    [Fact]
    public void Resolve_Listed_IsExactlyThose()
    {
        var errors = new FieldErrors();

        var scopes = TokenScopes.Resolve(errors, ["deploy", "read"], NewUser(UserRole.User), Scopes.All);

        Assert.True(errors.IsEmpty);
        Assert.Equal(Scopes.Read | Scopes.Deploy, scopes);
    }

    [Theory]
    [InlineData("root")]
    [InlineData("READ")]
    [InlineData("")]
    public void Resolve_UnknownName_IsAnError(string name)
    {
        var errors = new FieldErrors();

        TokenScopes.Resolve(errors, ["read", name], NewUser(UserRole.Admin), Scopes.All);

        Assert.False(errors.IsEmpty);
        Assert.Contains("scopes", errors.Summary(), StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_AdminForANonAdmin_IsAnError()
    {
        var errors = new FieldErrors();

        TokenScopes.Resolve(errors, ["admin"], NewUser(UserRole.User), Scopes.All);

        Assert.False(errors.IsEmpty);
    }

    [Fact]
    public void Resolve_MoreThanTheRequestingToken_IsAnError()
    {
        var errors = new FieldErrors();

        TokenScopes.Resolve(errors, ["write"], NewUser(UserRole.User), Scopes.Read);

        Assert.False(errors.IsEmpty);
    }

    [Fact]
    public void Resolve_EmptyList_IsAnError()
    {
        var errors = new FieldErrors();

        TokenScopes.Resolve(errors, [], NewUser(UserRole.User), Scopes.All);

        Assert.False(errors.IsEmpty);
    }

    [Theory]
    [InlineData(UserRole.Admin, Scopes.All)]
    [InlineData(UserRole.User, Scopes.Read | Scopes.Write | Scopes.Exec | Scopes.Deploy)]
    public void Effective_TokenFromBeforeScopes_KeepsItsUsersFullAccess(UserRole role, Scopes expected)
    {
        Assert.Equal(expected, TokenScopes.Effective(NewToken(null), NewUser(role)));
    }

    [Fact]
    public void Effective_AdminScopeOfADemotedUser_Lapses()
    {
        Assert.Equal(Scopes.Read, TokenScopes.Effective(NewToken(Scopes.Read | Scopes.Admin), NewUser(UserRole.User)));
    }

    [Fact]
    public void Effective_NarrowTokenOfAnAdmin_StaysNarrow()
    {
        Assert.Equal(Scopes.Read | Scopes.Write, TokenScopes.Effective(NewToken(Scopes.Read | Scopes.Write), NewUser(UserRole.Admin)));
    }

    [Fact]
    public void Names_RoundTripEverySingleScope()
    {
        foreach (var (scope, name) in TokenScopes.Names)
        {
            Assert.True(TokenScopes.TryParse(name, out var parsed));
            Assert.Equal(scope, parsed);
            Assert.Equal(name, TokenScopes.Name(scope));
        }
        Assert.False(TokenScopes.TryParse("none", out _));
    }
}
