namespace Berth.Core.Accounts;

/// <summary>What an email and password turned out to be.</summary>
public abstract record SignInResult
{
    public static readonly SignInResult InvalidCredentials = new Invalid();
    public static readonly SignInResult Banned = new BannedUser();

    public sealed record Success(User User) : SignInResult;

    /// <summary>Unknown email, no password set, or a wrong password: the caller cannot tell which.</summary>
    public sealed record Invalid : SignInResult;

    /// <summary>Too many failures in a row; no password is checked until <paramref name="Until"/>.</summary>
    public sealed record LockedOut(DateTimeOffset Until) : SignInResult;

    /// <summary>The password was right, but the account is banned.</summary>
    public sealed record BannedUser : SignInResult;
}
