using Berth.Core.Errors;
using Berth.Core.Persistence;

namespace Berth.Server.Http;

/// <summary><c>{"data": ..., "message": ...}</c></summary>
internal sealed record DataEnvelope<T>(T Data, string? Message = null);

/// <summary><c>{"data": [...], "pagination": {...}, "message": ...}</c></summary>
internal sealed record ListEnvelope<T>(IReadOnlyList<T> Data, Pagination Pagination, string? Message = null);

internal sealed record Pagination(int Page, int Limit, int Total, int TotalPages);

/// <summary><c>{"error": {"code", "message", "details"}}</c></summary>
internal sealed record ErrorEnvelope(ErrorBody Error);

internal sealed record ErrorBody(string Code, string Message, IReadOnlyDictionary<string, object?> Details);

internal static class Envelope
{
    private static readonly IReadOnlyDictionary<string, object?> s_noDetails = new Dictionary<string, object?>();

    public static DataEnvelope<T> Of<T>(T data, string? message = null) => new(data, message);

    public static ListEnvelope<TOut> Of<TIn, TOut>(Page<TIn> page, Func<TIn, TOut> map, string? message = null) =>
        new(page.Items.Select(map).ToList(), new Pagination(page.PageNumber, page.Limit, page.Total, page.TotalPages), message);

    public static ErrorEnvelope Error(BerthError error, string message, IReadOnlyDictionary<string, object?>? details = null) =>
        new(new ErrorBody(error.Code, message, details ?? s_noDetails));

    public static ErrorEnvelope Error(BerthException exception) =>
        Error(exception.Error, exception.Message, exception.Details);
}
