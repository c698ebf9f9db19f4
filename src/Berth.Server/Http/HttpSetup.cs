using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;

namespace Berth.Server.Http;

internal static class HttpSetup
{
    public static IHostApplicationBuilder AddBerthHttp(this IHostApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        });
        // Bad bodies and parameters throw, so that the exception handler answers them with the envelope.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<BerthExceptionHandler>();
        builder.Services.AddSingleton<IdempotencyLocks>();
        return builder;
    }

    /// <summary>Writes the error envelope with the API's JSON settings.</summary>
    public static Task WriteErrorAsync(this HttpContext context, int status, ErrorEnvelope envelope)
    {
        context.Response.StatusCode = status;
        context.Features.Set(new ErrorCodeFeature(envelope.Error.Code));
        var json = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<JsonOptions>>().Value;
        return context.Response.WriteAsJsonAsync(envelope, json.SerializerOptions, context.RequestAborted);
    }
}

/// <summary>The error code a request was answered with, for the audit log (which never reads bodies).</summary>
internal sealed record ErrorCodeFeature(string Code);
