using System.Text.Json;
using Berth.Core.Engine;
using Berth.Core.Errors;
using Microsoft.AspNetCore.Diagnostics;

namespace Berth.Server.Http;

internal static partial class ErrorHandling
{
    private const string UnexpectedMessage = "An unexpected error occurred";

    public static WebApplication UseBerthErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // NOT_FOUND from a service is an answer, not a missing route.
            AllowStatusCode404Response = true,
            // Only reached when BerthExceptionHandler declined (it handles everything, but be safe).
            ExceptionHandler = context => context.WriteErrorAsync(500, Envelope.Error(BerthError.InternalServerError, UnexpectedMessage)),
        });
        app.UseStatusCodePages(context => WriteStatusEnvelopeAsync(context.HttpContext));
        return app;
    }

    /// <summary>An error status that nothing wrote a body for (no route, wrong method): give it the envelope.</summary>
    private static Task WriteStatusEnvelopeAsync(HttpContext context)
    {
        var request = context.Request;
        var status = context.Response.StatusCode;
        var (error, message) = status switch
        {
            404 => (BerthError.NotFound, $"No route matches {request.Method} {request.Path}"),
            405 => (BerthError.MethodNotAllowed, $"Method {request.Method} is not allowed on {request.Path}"),
            // The catalogue has no 415: a body that is not JSON is a bad request like any other.
            415 => (BerthError.ValidationError, "The request body must be JSON (Content-Type: application/json)"),
            401 => (BerthError.MissingToken, "Authentication required"),
            403 => (BerthError.InsufficientPermissions, "Not allowed"),
            412 => (BerthError.PreconditionFailed, "Precondition failed"),
            429 => (BerthError.RateLimited, "Too many requests"),
            503 => (BerthError.ExternalServiceError, "Service unavailable"),
            < 500 => (BerthError.ValidationError, "The request is not valid"),
            _ => (BerthError.InternalServerError, UnexpectedMessage),
        };
        return context.WriteErrorAsync(status == 415 ? error.Status : status, Envelope.Error(error, message));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error answering {Method} {Path}")]
    public static partial void UnhandledError(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engine unavailable answering {Method} {Path}: {Reason}")]
    public static partial void EngineUnavailable(ILogger logger, string method, string path, string reason);
}

/// <summary>Turns every exception into the documented error envelope; nothing internal leaks.</summary>
internal sealed class BerthExceptionHandler(ILogger<BerthExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            // The client left; there is nobody to answer.
            context.Response.StatusCode = 499;
            return true;
        }
        var (status, envelope) = Map(context, exception);
        await context.WriteErrorAsync(status, envelope);
        return true;
    }

    private (int Status, ErrorEnvelope Envelope) Map(HttpContext context, Exception exception)
    {
        switch (exception)
        {
            case BerthException berth:
                return (berth.Error.Status, Envelope.Error(berth));
            case EngineUnavailableException engine:
                ErrorHandling.EngineUnavailable(logger, context.Request.Method, context.Request.Path, engine.Message);
                return (BerthError.ExternalServiceError.Status, Envelope.Error(BerthError.ExternalServiceError, engine.Message));
            case BadHttpRequestException bad:
                return (BerthError.ValidationError.Status, Envelope.Error(BerthError.ValidationError, Describe(bad)));
            default:
                ErrorHandling.UnhandledError(logger, exception, context.Request.Method, context.Request.Path);
                return (BerthError.InternalServerError.Status, Envelope.Error(BerthError.InternalServerError, "An unexpected error occurred"));
        }
    }

    private static string Describe(BadHttpRequestException bad) => bad switch
    {
        { InnerException: JsonException json } => $"The request body is not valid JSON: {json.Message}",
        { StatusCode: StatusCodes.Status415UnsupportedMediaType } => "The request body must be JSON (Content-Type: application/json)",
        _ => bad.Message,
    };
}
