using System.Security.Claims;
using Berth.Core.Accounts;
using Berth.Core.Errors;
using Microsoft.AspNetCore.Authentication;

namespace Berth.Server.Accounts;

/// <summary>
/// What every scheme makes of a credential it accepted: the <see cref="Caller"/> the services get
/// (a request feature, so that nothing parses claims back) and the principal ASP.NET Core carries.
/// </summary>
internal static class CallerPrincipal
{
    /// <summary>
    /// The end of every scheme that checked a credential naming its user: a ticket for the caller when
    /// <see cref="AccountService.AuthenticateUserAsync"/> let the user in, ACCOUNT_BANNED for a banned
    /// one, and INVALID_TOKEN with <paramref name="unknownUser"/> when the user is gone.
    /// </summary>
    public static AuthenticateResult Authenticate(
        HttpContext context, UserAuthenticationResult user, Guid? credentialId, Scopes granted, string scheme, string unknownUser) =>
        user switch
        {
            UserAuthenticationResult.Success success => AuthenticateResult.Success(new AuthenticationTicket(
                Create(context, success.User, credentialId, granted, scheme), scheme)),
            UserAuthenticationResult.BannedUser => AuthenticationFailure.Fail(BerthError.AccountBanned, "The account is banned"),
            _ => AuthenticationFailure.Fail(BerthError.InvalidToken, unknownUser),
        };

    /// <summary>
    /// The caller <paramref name="user"/>, acting through the credential <paramref name="credentialId"/>
    /// that was granted <paramref name="granted"/>; a credential never does more than its user may.
    /// </summary>
    public static ClaimsPrincipal Create(
        HttpContext context, User user, Guid? credentialId, Scopes granted, string authenticationType)
    {
        var scopes = granted & TokenScopes.AllowedFor(user);
        // An admin user's credential acts as admin only when it also holds the admin scope.
        var caller = new Caller(user.Id, user.IsAdmin && scopes.HasFlag(Scopes.Admin), credentialId, scopes);
        context.Features.Set(new CallerFeature(caller));
        List<Claim> claims =
        [
            new(BerthClaims.UserId, user.Id.ToString()),
            new(BerthClaims.Role, user.IsAdmin ? BerthClaims.AdminRole : BerthClaims.UserRole),
        ];
        if (credentialId is { } id)
        {
            claims.Add(new Claim(BerthClaims.TokenId, id.ToString()));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType, BerthClaims.UserId, BerthClaims.Role));
    }
}

/// <summary>The caller of an authenticated request, as its scheme made it.</summary>
internal sealed record CallerFeature(Caller Caller);

internal static class BerthClaims
{
    public const string UserId = "sub";
    public const string Role = "role";
    public const string TokenId = "token_id";
    public const string AdminRole = "admin";
    public const string UserRole = "user";
}
