using System.Globalization;

namespace Berth.Core.Errors;

/// <summary>Collects every bad field of a request so that one 400 names them all.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsEmpty => _errors.Count == 0;

    public void Add(string field, string problem)
    {
        if (!_errors.TryGetValue(field, out var problems))
        {
            problems = [];
            _errors[field] = problems;
        }
        problems.Add(problem);
    }

    public void ThrowIfAny()
    {
        if (!IsEmpty)
        {
            throw BerthException.Validation(this);
        }
    }

    public string Summary() =>
        "Invalid input: " + string.Join("; ", _errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));

    public IReadOnlyDictionary<string, object?> ToDetails() =>
        new Dictionary<string, object?>
        {
            ["fields"] = _errors.ToDictionary(e => e.Key, e => (object?)e.Value.ToArray(), StringComparer.Ordinal),
        };

    /// <summary>The <c>page</c> (from 1) and <c>limit</c> (1-100) of a paginated list; throws VALIDATION_ERROR naming either when bad.</summary>
    public static (int Page, int Limit) ParsePage(string? page, string? limit, int defaultLimit = 20)
    {
        var errors = new FieldErrors();
        var pageNumber = errors.ParseInt("page", page, 1, 1, int.MaxValue);
        var pageSize = errors.ParseInt("limit", limit, defaultLimit, 1, 100);
        errors.ThrowIfAny();
        return (pageNumber, pageSize);
    }

    /// <summary>Parses an optional integer query parameter within bounds, recording a problem when it is bad.</summary>
    public int ParseInt(string field, string? raw, int fallback, int min, int max)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return fallback;
        }
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Add(field, $"must be an integer from {min} to {max}");
            return fallback;
        }
        return value;
    }

    /// <summary>Parses an optional value that must be one of <paramref name="allowed"/>.</summary>
    public string ParseChoice(string field, string? raw, string fallback, params string[] allowed)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return fallback;
        }
        if (!allowed.Contains(raw, StringComparer.Ordinal))
        {
            Add(field, $"must be one of {string.Join(", ", allowed)}");
            return fallback;
        }
        return raw;
    }
}
