using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Berth.Core.Accounts;
using Berth.Core.Errors;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Berth.Server.Oauth;

/// <summary>An OAuth client as Berth describes it; never its secret.</summary>
internal sealed record OauthApplication(
    string ClientId,
    string Name,
    string Type,
    IReadOnlyList<string> RedirectUris,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string> GrantTypes,
    Guid? UserId);

internal sealed record RegisterApplicationRequest(
    string? Name, IReadOnlyList<string>? RedirectUris, IReadOnlyList<string>? Scopes, string? Type,
    IReadOnlyList<string>? GrantTypes, Guid? UserId);

/// <summary>
/// The OAuth clients admins register. Applications acting for users (authorization code) are trusted:
/// users are not asked for consent. A client-credentials client acts as one Berth user, its service
/// account, limited to the client's scopes.
/// </summary>
internal sealed class OauthApplications(
    IOpenIddictApplicationManager applications,
    IOpenIddictTokenManager tokens,
    AccountService accounts,
    OauthAccessTokens accessTokens,
    OauthStreams streams)
{
    public const int MaxRedirectUris = 10;

    /// <summary>The property of an application naming the user a client-credentials token acts as.</summary>
    private const string ServiceUserProperty = "berth_user_id";

    private static readonly string[] s_grantTypes = [GrantTypes.AuthorizationCode, GrantTypes.ClientCredentials, GrantTypes.RefreshToken];

    /// <summary>Registers a client; the secret of a confidential one is returned here and never again.</summary>
    public async Task<(OauthApplication Application, string? Secret)> RegisterAsync(
        RegisterApplicationRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var name = request.Name?.Trim() ?? "";
        if (name.Length == 0)
        {
            errors.Add("name", "is required");
        }
        else if (name.Length > AccountService.MaxNameLength)
        {
            errors.Add("name", $"must be at most {AccountService.MaxNameLength} characters");
        }
        bool? confidential = request.Type switch
        {
            "confidential" => true,
            "public" => false,
            _ => Invalid(errors, "type", "must be one of public, confidential"),
        };
        var grants = ValidateGrantTypes(errors, request.GrantTypes, confidential);
        var redirectUris = ValidateRedirectUris(errors, request.RedirectUris, grants.Contains(GrantTypes.AuthorizationCode));
        var scopes = ValidateScopes(errors, request.Scopes);

        Guid? serviceUserId = null;
        if (grants.Contains(GrantTypes.ClientCredentials))
        {
            serviceUserId = request.UserId ?? caller.UserId;
            var user = await FindUserAsync(serviceUserId.Value, cancellationToken);
            if (user is null)
            {
                errors.Add("user_id", "no such user");
            }
            else if (scopes != Berth.Core.Accounts.Scopes.None)
            {
                // The service account's tokens never do more than that user, nor than the admin registering it.
                TokenScopes.Resolve(errors, TokenScopes.ToNames(scopes), user, caller.Scopes);
            }
        }
        else if (request.UserId is not null)
        {
            errors.Add("user_id", "only a client_credentials client acts as a user of its own");
        }
        errors.ThrowIfAny();

        var secret = confidential == true ? NewSecret() : null;
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = Guid.NewGuid().ToString(),
            ClientSecret = secret,
            ClientType = confidential == true ? ClientTypes.Confidential : ClientTypes.Public,
            // Registered by an admin, so trusted: users are not asked (see the README, "OAuth").
            ConsentType = ConsentTypes.Implicit,
            DisplayName = name,
        };
        descriptor.RedirectUris.UnionWith(redirectUris.Select(u => new Uri(u, UriKind.Absolute)));
        descriptor.Permissions.UnionWith([Permissions.Endpoints.Token, Permissions.Endpoints.Revocation]);
        descriptor.Permissions.UnionWith(grants.Select(g => Permissions.Prefixes.GrantType + g));
        descriptor.Permissions.UnionWith(OauthScopes.ToPermissions(scopes));
        if (grants.Contains(GrantTypes.AuthorizationCode))
        {
            descriptor.Permissions.UnionWith([Permissions.Endpoints.Authorization, Permissions.ResponseTypes.Code]);
            descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
        }
        if (grants.Contains(GrantTypes.RefreshToken))
        {
            // Given without asking (see ConnectEndpoints); a client that asks for it anyway is not refused.
            descriptor.Permissions.Add(Permissions.Prefixes.Scope + OpenIddictConstants.Scopes.OfflineAccess);
        }
        if (serviceUserId is { } userId)
        {
            descriptor.Properties[ServiceUserProperty] = JsonSerializer.SerializeToElement(userId);
        }
        var created = await applications.CreateAsync(descriptor, cancellationToken);
        return (await DescribeAsync(created, cancellationToken), secret);
    }

    public async Task<IReadOnlyList<OauthApplication>> ListAsync(CancellationToken cancellationToken)
    {
        var list = new List<OauthApplication>();
        await foreach (var application in applications.ListAsync(count: null, offset: null, cancellationToken))
        {
            list.Add(await DescribeAsync(application, cancellationToken));
        }
        return list;
    }

    public async Task<OauthApplication> GetAsync(string clientId, CancellationToken cancellationToken) =>
        await DescribeAsync(await FindAsync(clientId, cancellationToken), cancellationToken);

    /// <summary>Deletes the client with its authorizations and tokens; its access tokens stop working at once.</summary>
    public async Task DeleteAsync(string clientId, CancellationToken cancellationToken)
    {
        var application = await FindAsync(clientId, cancellationToken);
        accessTokens.Revoke(clientId);
        var applicationId = (await applications.GetIdAsync(application, cancellationToken))!;
        var tokenIds = await streams.TokensOfApplicationAsync(applicationId, cancellationToken);
        await tokens.RevokeByApplicationIdAsync(applicationId, cancellationToken);
        await applications.DeleteAsync(application, cancellationToken);
        streams.End(tokenIds);
    }

    /// <summary>The user a client-credentials client acts as.</summary>
    public async Task<Guid?> ServiceUserAsync(object application, CancellationToken cancellationToken)
    {
        var properties = await applications.GetPropertiesAsync(application, cancellationToken);
        return properties.TryGetValue(ServiceUserProperty, out var value) && value.TryGetGuid(out var id) ? id : null;
    }

    /// <summary>The scopes the client was registered with: the most any of its tokens may hold.</summary>
    public async Task<Berth.Core.Accounts.Scopes> ScopesAsync(object application, CancellationToken cancellationToken) =>
        OauthScopes.FromPermissions(await applications.GetPermissionsAsync(application, cancellationToken));

    private async Task<User?> FindUserAsync(Guid userId, CancellationToken cancellationToken)
    {
        try
        {
            return await accounts.GetUserAsync(userId, cancellationToken);
        }
        catch (BerthException e) when (e.Error == BerthError.NotFound)
        {
            return null;
        }
    }

    private async Task<object> FindAsync(string clientId, CancellationToken cancellationToken) =>
        await applications.FindByClientIdAsync(clientId, cancellationToken) ?? throw BerthException.NotFound("Application");

    private async Task<OauthApplication> DescribeAsync(object application, CancellationToken cancellationToken)
    {
        var permissions = await applications.GetPermissionsAsync(application, cancellationToken);
        return new OauthApplication(
            (await applications.GetClientIdAsync(application, cancellationToken))!,
            await applications.GetDisplayNameAsync(application, cancellationToken) ?? "",
            await applications.HasClientTypeAsync(application, ClientTypes.Confidential, cancellationToken) ? "confidential" : "public",
            [.. await applications.GetRedirectUrisAsync(application, cancellationToken)],
            TokenScopes.ToNames(OauthScopes.FromPermissions(permissions)),
            [.. s_grantTypes.Where(g => permissions.Contains(Permissions.Prefixes.GrantType + g))],
            await ServiceUserAsync(application, cancellationToken));
    }

    private static List<string> ValidateGrantTypes(FieldErrors errors, IReadOnlyList<string>? requested, bool? confidential)
    {
        if (requested is not { Count: > 0 })
        {
            errors.Add("grant_types", $"must name at least one of {string.Join(", ", s_grantTypes)}");
            return [];
        }
        var grants = new List<string>();
        foreach (var grant in requested.Distinct(StringComparer.Ordinal))
        {
            if (!s_grantTypes.Contains(grant, StringComparer.Ordinal))
            {
                errors.Add("grant_types", $"'{grant}' is not one of {string.Join(", ", s_grantTypes)}");
                continue;
            }
            grants.Add(grant);
        }
        if (grants.Contains(GrantTypes.ClientCredentials) && confidential == false)
        {
            errors.Add("grant_types", "client_credentials needs a confidential client: a public one has no secret");
        }
        if (grants.Contains(GrantTypes.RefreshToken) && !grants.Contains(GrantTypes.AuthorizationCode))
        {
            errors.Add("grant_types", "refresh_token goes with authorization_code");
        }
        return grants;
    }

    /// <summary>Absolute URIs without fragment; plain http only to a loopback address (RFC 8252 native apps).</summary>
    private static List<string> ValidateRedirectUris(FieldErrors errors, IReadOnlyList<string>? requested, bool needed)
    {
        var uris = requested ?? [];
        if (needed && uris.Count == 0)
        {
            errors.Add("redirect_uris", "authorization_code needs at least one redirect URI");
        }
        else if (!needed && uris.Count > 0)
        {
            errors.Add("redirect_uris", "only an authorization_code client is redirected to");
        }
        if (uris.Count > MaxRedirectUris)
        {
            errors.Add("redirect_uris", $"must be at most {MaxRedirectUris}");
        }
        foreach (var raw in uris)
        {
            if (!Uri.TryCreate(raw, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.Fragment))
            {
                errors.Add("redirect_uris", $"'{raw}' is not an absolute URI without fragment");
            }
            else if (uri.Scheme == Uri.UriSchemeHttp && !(IPAddress.TryParse(uri.Host, out var address) && IPAddress.IsLoopback(address)))
            {
                errors.Add("redirect_uris", $"'{raw}' must use https (plain http only to 127.0.0.1 or [::1])");
            }
        }
        return [.. uris.Distinct(StringComparer.Ordinal)];
    }

    private static Berth.Core.Accounts.Scopes ValidateScopes(FieldErrors errors, IReadOnlyList<string>? requested)
    {
        if (requested is not { Count: > 0 })
        {
            errors.Add("scopes", "must name at least one scope");
            return Berth.Core.Accounts.Scopes.None;
        }
        var scopes = Berth.Core.Accounts.Scopes.None;
        foreach (var name in requested)
        {
            if (TokenScopes.TryParse(name, out var scope))
            {
                scopes |= scope;
            }
            else
            {
                errors.Add("scopes", $"'{name}' is not a scope; use {string.Join(", ", TokenScopes.Names.Select(n => n.Name))}");
            }
        }
        return scopes;
    }

    private static bool? Invalid(FieldErrors errors, string field, string problem)
    {
        errors.Add(field, problem);
        return null;
    }

    private static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
