using Berth.Core.Containers;
using Berth.Core.Projects;

namespace Berth.Server.Accounts;

/// <summary>
/// Endpoint metadata naming the project permission a container route needs. The services enforce it
/// (so that every way in answers alike); the metadata states it on the route, so that the route table
/// says what each container route needs and a test can hold the table and the services together.
/// A route whose permission depends on a route value (<c>/{id}/{operation}</c>) resolves it per request.
/// </summary>
internal sealed class RequiredPermission
{
    private readonly Permission? _permission;
    private readonly Func<string, Permission?>? _byValue;

    private RequiredPermission(Permission? permission, string? routeValue, Func<string, Permission?>? byValue)
    {
        _permission = permission;
        RouteValue = routeValue;
        _byValue = byValue;
    }

    /// <summary>The route value the permission depends on, or null when it is always the same.</summary>
    public string? RouteValue { get; }

    public static RequiredPermission Of(Permission permission) => new(permission, null, null);

    /// <summary>The permission of the lifecycle operation named by the <c>operation</c> route value.</summary>
    public static RequiredPermission ByOperation() => new(null, "operation",
        name => WireNames.TryParseOperation(name, out var operation) ? ContainerService.PermissionFor(operation) : null);

    /// <summary>The permission a request with these route values needs; null when the value names no operation (a 400).</summary>
    public Permission? For(IReadOnlyDictionary<string, string> routeValues) =>
        RouteValue is null ? _permission : routeValues.TryGetValue(RouteValue, out var value) ? _byValue!(value) : null;
}

internal static class RequiredPermissionExtensions
{
    /// <summary>Documents that callers need <paramref name="permission"/> on the container (its project role, unless creator or admin).</summary>
    public static TBuilder NeedsPermission<TBuilder>(this TBuilder builder, Permission permission)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(RequiredPermission.Of(permission));

    /// <summary>Documents that callers need the permission of the operation the route names.</summary>
    public static TBuilder NeedsOperationPermission<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(RequiredPermission.ByOperation());
}
