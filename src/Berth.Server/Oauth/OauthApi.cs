using Berth.Core.Accounts;
using Berth.Server.Accounts;
using Berth.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Berth.Server.Oauth;

/// <summary>A client just registered: the only answer that carries its secret (confidential clients).</summary>
internal sealed record RegisteredApplicationResponse(
    string ClientId, string? ClientSecret, string Name, string Type, IReadOnlyList<string> RedirectUris,
    IReadOnlyList<string> Scopes, IReadOnlyList<string> GrantTypes, Guid? UserId)
{
    public static RegisteredApplicationResponse From(OauthApplication a, string? secret) =>
        new(a.ClientId, secret, a.Name, a.Type, a.RedirectUris, a.Scopes, a.GrantTypes, a.UserId);
}

/// <summary>OAuth clients (admins) and the applications each user has authorized (their own).</summary>
internal static class OauthApi
{
    public static IEndpointRouteBuilder MapOauthApi(this IEndpointRouteBuilder app)
    {
        var applications = app.MapGroup("/api/v1/oauth/applications").WithTags("OAuth")
            .RequireAuthorization(AccountsSetup.AdminPolicy).WithMetadata(new RequiredScope(Scopes.Admin));
        // No Idempotency-Key replay: it would keep the answer, and with it the client secret, in the store.
        applications.MapPost("/", RegisterAsync).WithSummary("Register an OAuth client (admin); a confidential client's secret is shown only here");
        applications.MapGet("/", ListApplicationsAsync).WithSummary("List OAuth clients (admin)");
        applications.MapGet("/{clientId}", GetApplicationAsync).WithSummary("Get an OAuth client (admin)");
        applications.MapDelete("/{clientId}", DeleteApplicationAsync).WithSummary("Delete an OAuth client and revoke all its tokens (admin)");

        var authorizations = app.MapGroup("/api/v1/oauth/authorizations").WithTags("OAuth").RefuseOauthAccessTokens();
        authorizations.MapGet("/", ListAuthorizationsAsync).RequireScope(Scopes.Read)
            .WithSummary("List the applications you have authorized");
        authorizations.MapDelete("/{id}", RevokeAuthorizationAsync).RequireScope(Scopes.Write)
            .WithSummary("Revoke an application's access and every token it holds for you");
        return app;
    }

    public static async Task<Created<DataEnvelope<RegisteredApplicationResponse>>> RegisterAsync(
        RegisterApplicationRequest request, HttpContext context, OauthApplications registry, CancellationToken cancellationToken)
    {
        var (application, secret) = await registry.RegisterAsync(request, context.GetCaller(), cancellationToken);
        var message = secret is null ? "Application registered" : "Application registered; store the client secret now, it is not shown again";
        return TypedResults.Created($"/api/v1/oauth/applications/{application.ClientId}",
            Envelope.Of(RegisteredApplicationResponse.From(application, secret), message));
    }

    public static async Task<Ok<DataEnvelope<IReadOnlyList<OauthApplication>>>> ListApplicationsAsync(
        OauthApplications registry, CancellationToken cancellationToken) =>
        TypedResults.Ok(Envelope.Of(await registry.ListAsync(cancellationToken)));

    public static async Task<Ok<DataEnvelope<OauthApplication>>> GetApplicationAsync(
        string clientId, OauthApplications registry, CancellationToken cancellationToken) =>
        TypedResults.Ok(Envelope.Of(await registry.GetAsync(clientId, cancellationToken)));

    public static async Task<NoContent> DeleteApplicationAsync(
        string clientId, OauthApplications registry, CancellationToken cancellationToken)
    {
        await registry.DeleteAsync(clientId, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<DataEnvelope<IReadOnlyList<OauthAuthorization>>>> ListAuthorizationsAsync(
        HttpContext context, OauthAuthorizations grants, CancellationToken cancellationToken) =>
        TypedResults.Ok(Envelope.Of(await grants.ListAsync(context.GetCaller().UserId, cancellationToken)));

    public static async Task<NoContent> RevokeAuthorizationAsync(
        string id, HttpContext context, OauthAuthorizations grants, CancellationToken cancellationToken)
    {
        await grants.RevokeAsync(context.GetCaller().UserId, id, cancellationToken);
        return TypedResults.NoContent();
    }
}
