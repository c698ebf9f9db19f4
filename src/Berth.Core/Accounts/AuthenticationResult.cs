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
