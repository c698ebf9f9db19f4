using System.Globalization;
using Berth.Core.Errors;

namespace Berth.Core.Logs;

/// <summary>What a reader asks of a container's logs, validated.</summary>
/// <param name="Tail">The last this many lines (of all replicas together) before following; null for all of them.</param>
/// <param name="Since">Only lines at or after this moment.</param>
/// <param name="Until">Only lines at or before this moment; a follow ends when the clock passes it.</param>
/// <param name="Follow">After the stored lines, stream new ones until the reader leaves.</param>
/// <param name="Timestamps">Show each line's time (plain text; NDJSON always has it).</param>
public sealed record LogQuery(int? Tail, DateTimeOffset? Since, DateTimeOffset? Until, bool Follow, bool Timestamps)
{
    public const int DefaultTail = 100;
    public const int MaxTail = 100_000;

    public static LogQuery Default { get; } = new(DefaultTail, null, null, false, false);

    public bool Includes(DateTimeOffset time) => (Since is not { } since || time >= since) && (Until is not { } until || time <= until);

    /// <summary>Parses the query parameters, throwing one VALIDATION_ERROR that names every bad one.</summary>
    public static LogQuery Parse(string? tail, string? since, string? until, string? follow, string? timestamps)
    {
        var errors = new FieldErrors();
        int? tailValue = DefaultTail;
        if (string.Equals(tail, "all", StringComparison.OrdinalIgnoreCase))
        {
            tailValue = null;
        }
        else if (!string.IsNullOrEmpty(tail))
        {
            if (int.TryParse(tail, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed <= MaxTail)
            {
                tailValue = parsed;
            }
            else
            {
                errors.Add("tail", $"must be an integer from 0 to {MaxTail}, or 'all'");
            }
        }
        var sinceValue = ParseTime(errors, "since", since);
        var untilValue = ParseTime(errors, "until", until);
        if (sinceValue is { } s && untilValue is { } u && s > u)
        {
            errors.Add("until", "must not be before since");
        }
        var followValue = ParseBool(errors, "follow", follow);
        var timestampsValue = ParseBool(errors, "timestamps", timestamps);
        errors.ThrowIfAny();
        return new LogQuery(tailValue, sinceValue, untilValue, followValue, timestampsValue);
    }

    /// <summary>An RFC 3339 timestamp, or Unix seconds (a fraction allowed), as Docker accepts them.</summary>
    public static bool TryParseTime(string raw, out DateTimeOffset time)
    {
        time = default;
        if (decimal.TryParse(raw, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            // Beyond year 9999 is not a time a log line can have.
            if (seconds > 253_402_300_799m)
            {
                return false;
            }
            time = DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
            return true;
        }
        // A '+' of an offset arrives as a space when the client did not escape it.
        var text = raw.Length > 19 ? raw[..19] + raw[19..].Replace(' ', '+') : raw;
        var rfc3339 = text.Length >= 20
            && text[4] == '-' && text[7] == '-' && text[10] is 'T' or 't' && text[13] == ':' && text[16] == ':'
            && (text[^1] is 'Z' or 'z' || (text.Length >= 25 && text[^6] is '+' or '-' && text[^3] == ':'));
        if (rfc3339 && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            time = parsed;
            return true;
        }
        return false;
    }

    private static DateTimeOffset? ParseTime(FieldErrors errors, string field, string? raw)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }
        if (TryParseTime(raw, out var time))
        {
            return time;
        }
        errors.Add(field, "must be an RFC 3339 timestamp (2025-01-31T12:00:00Z) or Unix seconds");
        return null;
    }

    private static bool ParseBool(FieldErrors errors, string field, string? raw)
    {
        switch (raw?.ToLowerInvariant())
        {
            case null or "" or "false" or "0":
                return false;
            case "true" or "1":
                return true;
            default:
                errors.Add(field, "must be true or false");
                return false;
        }
    }
}
