namespace Berth.Core.Errors;

/// <summary>
/// A failure the caller can act on. The host turns it into the documented error envelope
/// <c>{"error": {"code", "message", "details"}}</c> with the status of <see cref="Error"/>.
/// </summary>
public sealed class BerthException : Exception
{
    public BerthException(BerthError error, string message, IReadOnlyDictionary<string, object?>? details = null, Exception? inner = null)
        : base(message, inner)
    {
        Error = error;
        Details = details;
    }

    public BerthError Error { get; }

    public IReadOnlyDictionary<string, object?>? Details { get; }

    public static BerthException Validation(FieldErrors errors) =>
        new(BerthError.ValidationError, errors.Summary(), errors.ToDetails());

    public static BerthException Validation(string field, string problem)
    {
        var errors = new FieldErrors();
        errors.Add(field, problem);
        return Validation(errors);
    }

    public static BerthException ContainerNotFound() =>
        new(BerthError.ContainerNotFound, "Container not found");

    public static BerthException NotFound(string what) =>
        new(BerthError.NotFound, $"{what} not found");

    public static BerthException EngineUnavailable(string message, Exception? inner = null) =>
        new(BerthError.ExternalServiceError, message, inner: inner);
}
