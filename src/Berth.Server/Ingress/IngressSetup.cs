using Berth.Core.Ingress;
using Microsoft.Extensions.Options;

namespace Berth.Server.Ingress;

/// <summary>The <c>Berth:Ingress</c> section.</summary>
internal sealed class IngressOptions
{
    public const string Section = "Berth:Ingress";

    public const string Off = "off";

    /// <summary>Where the ingress listens: an http URL (port 0 picks a free port), or <c>off</c>.</summary>
    public string Url { get; set; } = "http://127.0.0.1:8081";

    public bool IsOff => string.Equals(Url, Off, StringComparison.OrdinalIgnoreCase);
}

internal static class IngressSetup
{
    /// <summary>The ingress: the routing table deployments publish to, and the proxy server that follows it.</summary>
    public static IHostApplicationBuilder AddBerthIngress(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngressOptions>()
            .BindConfiguration(IngressOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<IngressOptions>, IngressOptionsValidator>();
        builder.Services.AddSingleton<IngressRoutes>();
        builder.Services.AddSingleton<IIngressRoutes>(sp => sp.GetRequiredService<IngressRoutes>());
        builder.Services.AddSingleton<IngressServer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<IngressServer>());
        // YARP logs every proxied request at Information: far too much, and too slow, for an ingress.
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        return builder;
    }
}

internal sealed class IngressOptionsValidator : IValidateOptions<IngressOptions>
{
    public ValidateOptionsResult Validate(string? name, IngressOptions options) =>
        options.IsOff
        || (Uri.TryCreate(options.Url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp && uri.AbsolutePath == "/")
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Berth:Ingress:Url must be an http URL such as http://127.0.0.1:8081, or '{IngressOptions.Off}'.");
}
