namespace Berth.Core.Accounts;

/// <summary>What a presented token turned out to be.</summary>
public abstract record AuthenticationResult
{
    public static readonly AuthenticationResult InvalidToken = new Invalid();
    public static readonly AuthenticationResult ExpiredToken = new Expired();
    public static readonly AuthenticationResult BannedAccount = new Banned();

    /// <summary>The token is live and its user may act.</summary>
    public sealed record Success(User User, AccessToken Token) : AuthenticationResult;

    /// <summary>Unknown, malformed or revoked.</summary>
    public sealed record Invalid : AuthenticationResult;

    public sealed record Expired : AuthenticationResult;

    public sealed record Banned : AuthenticationResult;
}

/// <summary>What the user named by an already verified credential turned out to be.</summary>
public abstract record UserAuthenticationResult
{
    public static readonly UserAuthenticationResult Unknown = new UnknownUser();
    public static readonly UserAuthenticationResult Banned = new BannedUser();

    public sealed record Success(User User) : UserAuthenticationResult;

    /// <summary>The user no longer exists.</summary>
    public sealed record UnknownUser : UserAuthenticationResult;

    public sealed record BannedUser : UserAuthenticationResult;
}
