using Berth.Core.Containers;
using Berth.Core.Errors;

namespace Berth.Core.Commands;

/// <summary>A command as the API parsed it; the shapes are right, the values not yet checked.</summary>
public sealed record SubmitCommandRequest
{
    /// <summary>A command given as a string, run by <c>sh -c</c>. Exactly one of this and <see cref="Argv"/>.</summary>
    public string? Script { get; init; }

    public IReadOnlyList<string>? Argv { get; init; }
    public int? TimeoutSeconds { get; init; }
    public IReadOnlyList<EnvVar>? Env { get; init; }
    public string? WorkingDir { get; init; }
}

internal static class CommandValidation
{
    public const int MaxScriptLength = 64 * 1024;
    public const int MaxArgs = 1024;
    public const int MaxEnv = 256;
    public const int MaxPathLength = 4096;

    public static void Validate(SubmitCommandRequest request, FieldErrors errors)
    {
        if (request.Script is null && request.Argv is null)
        {
            errors.Add("command", "is required: a string (run by sh -c) or an array of strings");
        }
        else if (request.Script is not null && (request.Script.Trim().Length == 0 || request.Script.Length > MaxScriptLength || request.Script.Contains('\0')))
        {
            errors.Add("command", $"must be a non-blank string of at most {MaxScriptLength} characters without NUL");
        }
        else if (request.Argv is { } argv
            && (argv.Count == 0 || argv.Count > MaxArgs || argv[0].Length == 0 || argv.Any(a => a is null || a.Contains('\0'))
                || argv.Sum(a => (long)(a?.Length ?? 0)) > MaxScriptLength))
        {
            errors.Add("command", $"must be 1 to {MaxArgs} strings without NUL, the first non-empty, {MaxScriptLength} characters in all");
        }

        if (request.TimeoutSeconds is { } timeout and (< 1 or > CommandOptions.MaxTimeoutSeconds))
        {
            errors.Add("timeout_seconds", $"must be an integer from 1 to {CommandOptions.MaxTimeoutSeconds}");
        }

        if (request.Env is { } env)
        {
            if (env.Count > MaxEnv)
            {
                errors.Add("env", $"must have at most {MaxEnv} variables");
            }
            if (env.Any(e => e?.Key is null || !IsEnvKey(e.Key)))
            {
                errors.Add("env", "every key must be a letter or underscore followed by letters, digits or underscores");
            }
            if (env.Any(e => e?.Value is null || e.Value.Contains('\0')))
            {
                errors.Add("env", "every value must be a string without NUL");
            }
            if (env.Where(e => e?.Key is not null).GroupBy(e => e.Key, StringComparer.Ordinal).Any(g => g.Count() > 1))
            {
                errors.Add("env", "keys must be unique");
            }
        }

        if (request.WorkingDir is { } dir && (!dir.StartsWith('/') || dir.Length > MaxPathLength || dir.Contains('\0')))
        {
            errors.Add("working_dir", $"must be an absolute path (starting with /) of at most {MaxPathLength} characters");
        }
    }

    private static bool IsEnvKey(string key) =>
        key.Length is > 0 and <= 255
        && (char.IsAsciiLetter(key[0]) || key[0] == '_')
        && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
