namespace Berth.Core.Errors;

/// <summary>One entry of the error catalogue: a stable code and the HTTP status it maps to.</summary>
public sealed record BerthError(string Code, int Status)
{
    public static readonly BerthError ValidationError = new("VALIDATION_ERROR", 400);
    public static readonly BerthError InvalidIdFormat = new("INVALID_ID_FORMAT", 400);
    public static readonly BerthError OperationStateConflict = new("OPERATION_STATE_CONFLICT", 400);
    public static readonly BerthError MissingToken = new("MISSING_TOKEN", 401);
    public static readonly BerthError InvalidToken = new("INVALID_TOKEN", 401);
    public static readonly BerthError TokenExpired = new("TOKEN_EXPIRED", 401);
    public static readonly BerthError InvalidCredentials = new("INVALID_CREDENTIALS", 401);
    public static readonly BerthError InsufficientPermissions = new("INSUFFICIENT_PERMISSIONS", 403);
    public static readonly BerthError AccountBanned = new("ACCOUNT_BANNED", 403);
    public static readonly BerthError AccountLocked = new("ACCOUNT_LOCKED", 403);
    public static readonly BerthError CsrfRejected = new("CSRF_REJECTED", 403);
    public static readonly BerthError OperationNotPermittedOnExpired = new("OPERATION_NOT_PERMITTED_ON_EXPIRED", 403);
    public static readonly BerthError ContainerNotFound = new("CONTAINER_NOT_FOUND", 404);
    public static readonly BerthError NotFound = new("NOT_FOUND", 404);
    public static readonly BerthError MethodNotAllowed = new("METHOD_NOT_ALLOWED", 405);
    public static readonly BerthError WaitTimeout = new("WAIT_TIMEOUT", 408);
    public static readonly BerthError AlreadyExists = new("ALREADY_EXISTS", 409);
    public static readonly BerthError PreconditionFailed = new("PRECONDITION_FAILED", 412);
    public static readonly BerthError RateLimited = new("RATE_LIMITED", 429);
    public static readonly BerthError InternalServerError = new("INTERNAL_SERVER_ERROR", 500);
    public static readonly BerthError ExternalServiceError = new("EXTERNAL_SERVICE_ERROR", 503);
}
