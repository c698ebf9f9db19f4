using Berth.Core.Accounts;
using Berth.Core.Errors;
using Berth.Server.Accounts;
using Berth.Server.Http;
using Berth.Server.Oauth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Berth.Server.Api;

internal sealed record UserResponse(
    Guid Id, string Email, string Name, string Role, bool Banned, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static UserResponse From(User user) =>
        new(user.Id, user.Email, user.Name, user.IsAdmin ? BerthClaims.AdminRole : BerthClaims.UserRole, user.Banned, user.CreatedAt, user.UpdatedAt);
}

/// <summary>A token as listed: never the secret nor its hash.</summary>
internal sealed record TokenResponse(
    Guid Id, string Name, string Prefix, IReadOnlyList<string> Scopes, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt)
{
    /// <summary>A token from before scopes lists what it effectively holds: everything its user may.</summary>
    public static TokenResponse From(AccessToken token, User user) => new(
        token.Id, token.Name, token.Prefix, TokenScopes.ToNames(TokenScopes.Effective(token, user)), token.ExpiresAt, token.CreatedAt);
}

/// <summary>A token just minted: the only answer that carries the secret.</summary>
internal sealed record CreatedTokenResponse(
    Guid Id, Guid UserId, string Name, string Token, string Prefix, IReadOnlyList<string> Scopes, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt);

internal sealed record CreateUserRequest(string? Email, string? Name, string? Role, string? Password);

internal sealed record UpdateUserRequest(string? Role, bool? Banned, string? Password);

internal sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

internal sealed record CreateTokenRequest(string? Name, DateTimeOffset? ExpiresAt, IReadOnlyList<string>? Scopes);

/// <summary>Users (admin only) and personal access tokens (every user, their own).</summary>
internal static class AccountsApi
{
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/v1/users").WithTags("Users")
            .RequireAuthorization(AccountsSetup.AdminPolicy).WithMetadata(new RequiredScope(Scopes.Admin));
        users.MapPost("/", CreateUserAsync).WithIdempotency().WithSummary("Create a user (admin)");
        users.MapGet("/", ListUsersAsync).WithSummary("List users (admin)");
        users.MapGet("/{id}", GetUserAsync).WithSummary("Get a user (admin)");
        users.MapPatch("/{id}", UpdateUserAsync).WithSummary("Change a user's role or password, or ban them (admin)");
        users.MapPost("/{id}/tokens", CreateTokenForUserAsync).WithIdempotency().RefuseOauthAccessTokens()
            .WithSummary("Mint a token for a user (admin)");

        var tokens = app.MapGroup("/api/v1/tokens").WithTags("Tokens").RefuseOauthAccessTokens();
        tokens.MapPost("/", CreateTokenAsync).WithIdempotency().WithSummary("Create a personal access token; its secret is shown only here");
        tokens.MapGet("/", ListTokensAsync).WithSummary("List your tokens (never their secrets)");
        tokens.MapDelete("/{id}", RevokeTokenAsync).WithSummary("Revoke one of your tokens; it stops working at once");

        app.MapPost("/api/v1/auth/password", ChangePasswordAsync).WithTags("Auth").RequireScope(Scopes.Write).RefuseOauthAccessTokens()
            .WithSummary("Change your own password; needs the current one");
        return app;
    }

    public static async Task<Created<DataEnvelope<UserResponse>>> CreateUserAsync(
        CreateUserRequest request, AccountService accounts, CancellationToken cancellationToken)
    {
        var user = await accounts.CreateUserAsync(request.Email, request.Name, request.Role, cancellationToken, request.Password);
        return TypedResults.Created($"/api/v1/users/{user.Id}", Envelope.Of(UserResponse.From(user), "User created"));
    }

    public static async Task<Ok<ListEnvelope<UserResponse>>> ListUsersAsync(
        string? page, string? limit, AccountService accounts, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var pageNumber = errors.ParseInt("page", page, 1, 1, int.MaxValue);
        var pageLimit = errors.ParseInt("limit", limit, 20, 1, AccountService.MaxListLimit);
        errors.ThrowIfAny();
        var result = await accounts.ListUsersAsync(pageNumber, pageLimit, cancellationToken);
        return TypedResults.Ok(Envelope.Of(result, UserResponse.From));
    }

    public static async Task<Ok<DataEnvelope<UserResponse>>> GetUserAsync(
        string id, AccountService accounts, CancellationToken cancellationToken)
    {
        var user = await accounts.GetUserAsync(Ids.Parse(id), cancellationToken);
        return TypedResults.Ok(Envelope.Of(UserResponse.From(user)));
    }

    public static async Task<Ok<DataEnvelope<UserResponse>>> UpdateUserAsync(
        string id, UpdateUserRequest request, AccountService accounts, CancellationToken cancellationToken)
    {
        var user = await accounts.UpdateUserAsync(Ids.Parse(id), request.Role, request.Banned, cancellationToken, request.Password);
        return TypedResults.Ok(Envelope.Of(UserResponse.From(user), "User updated"));
    }

    public static Task<Created<DataEnvelope<CreatedTokenResponse>>> CreateTokenForUserAsync(
        string id, CreateTokenRequest request, HttpContext context, AccountService accounts, CancellationToken cancellationToken) =>
        MintAsync(Ids.Parse(id), request, context.GetCaller(), accounts, cancellationToken);

    public static Task<Created<DataEnvelope<CreatedTokenResponse>>> CreateTokenAsync(
        CreateTokenRequest request, HttpContext context, AccountService accounts, CancellationToken cancellationToken)
    {
        var caller = context.GetCaller();
        return MintAsync(caller.UserId, request, caller, accounts, cancellationToken);
    }

    public static async Task<Ok<DataEnvelope<IReadOnlyList<TokenResponse>>>> ListTokensAsync(
        HttpContext context, AccountService accounts, CancellationToken cancellationToken)
    {
        var caller = context.GetCaller();
        var user = await accounts.GetUserAsync(caller.UserId, cancellationToken);
        var tokens = await accounts.ListTokensAsync(caller.UserId, cancellationToken);
        return TypedResults.Ok(Envelope.Of<IReadOnlyList<TokenResponse>>(tokens.Select(t => TokenResponse.From(t, user)).ToList()));
    }

    public static async Task<NoContent> RevokeTokenAsync(
        string id, HttpContext context, AccountService accounts, CancellationToken cancellationToken)
    {
        await accounts.RevokeTokenAsync(context.GetCaller().UserId, Ids.Parse(id), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> ChangePasswordAsync(
        ChangePasswordRequest request, HttpContext context, AccountService accounts, CancellationToken cancellationToken)
    {
        var caller = context.GetCaller();
        await accounts.ChangePasswordAsync(caller.UserId, request.CurrentPassword, request.NewPassword, cancellationToken, caller.TokenId);
        return TypedResults.NoContent();
    }

    /// <summary>The new token never holds a scope the caller's own token lacks.</summary>
    private static async Task<Created<DataEnvelope<CreatedTokenResponse>>> MintAsync(
        Guid userId, CreateTokenRequest request, Caller caller, AccountService accounts, CancellationToken cancellationToken)
    {
        var (token, plaintext) = await accounts.CreateTokenAsync(
            userId, request.Name, request.ExpiresAt, request.Scopes, caller.Scopes, cancellationToken);
        var user = await accounts.GetUserAsync(userId, cancellationToken);
        var body = new CreatedTokenResponse(token.Id, token.UserId, token.Name, plaintext, token.Prefix,
            TokenScopes.ToNames(TokenScopes.Effective(token, user)), token.ExpiresAt, token.CreatedAt);
        return TypedResults.Created($"/api/v1/tokens/{token.Id}", Envelope.Of(body, "Token created; store it now, it is not shown again"));
    }
}
