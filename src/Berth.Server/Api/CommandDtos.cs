using System.Globalization;
using System.Text.Json;
using Berth.Core.Commands;
using Berth.Core.Containers;
using Berth.Core.Errors;

namespace Berth.Server.Api;

/// <summary>
/// The CommandExecutionRecord of the native API. <c>command</c> is the string or the argv array as
/// submitted; <c>stdout</c> and <c>stderr</c> are null in history lists (read one command for its output).
/// </summary>
internal sealed record CommandRecord(
    Guid Id,
    Guid ContainerId,
    Guid UserId,
    object Command,
    IReadOnlyList<EnvVarDto> Env,
    string? WorkingDir,
    int TimeoutSeconds,
    string Status,
    int? ExitCode,
    string? Stdout,
    string? Stderr,
    bool StdoutTruncated,
    bool StderrTruncated,
    string? Reason,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt)
{
    public static CommandRecord From(CommandExecution c) => new(
        c.Id, c.ContainerId, c.UserId, (object?)c.Script ?? c.Argv,
        c.Env.Select(e => new EnvVarDto(e.Key, e.Value)).ToList(),
        c.WorkingDir, c.TimeoutSeconds, c.Status.ToWire(), c.ExitCode, c.Stdout, c.Stderr,
        c.StdoutTruncated, c.StderrTruncated, c.Reason, c.CreatedAt, c.StartedAt, c.FinishedAt);
}

/// <summary>
/// The body of a submission. Every field stays a <see cref="JsonElement"/> so that a wrong type is a
/// field error naming the field, not a parse failure.
/// </summary>
internal sealed record CommandBody(JsonElement? Command, JsonElement? TimeoutSeconds, JsonElement? Env, JsonElement? WorkingDir)
{
    public SubmitCommandRequest ToRequest()
    {
        var errors = new FieldErrors();
        string? script = null;
        IReadOnlyList<string>? argv = null;
        switch (Command?.ValueKind)
        {
            case null or JsonValueKind.Null or JsonValueKind.Undefined:
                break;
            case JsonValueKind.String:
                script = Command.Value.GetString();
                break;
            case JsonValueKind.Array when Command.Value.EnumerateArray().All(p => p.ValueKind == JsonValueKind.String):
                argv = [.. Command.Value.EnumerateArray().Select(p => p.GetString()!)];
                break;
            default:
                errors.Add("command", "must be a string (run by sh -c) or an array of strings");
                break;
        }

        int? timeout = null;
        switch (TimeoutSeconds?.ValueKind)
        {
            case null or JsonValueKind.Null or JsonValueKind.Undefined:
                break;
            case JsonValueKind.Number when TimeoutSeconds.Value.TryGetInt32(out var seconds):
                timeout = seconds;
                break;
            default:
                errors.Add("timeout_seconds", string.Create(CultureInfo.InvariantCulture,
                    $"must be an integer from 1 to {CommandOptions.MaxTimeoutSeconds}"));
                break;
        }

        List<EnvVar>? env = null;
        switch (Env?.ValueKind)
        {
            case null or JsonValueKind.Null or JsonValueKind.Undefined:
                break;
            case JsonValueKind.Object when Env.Value.EnumerateObject().All(p => p.Value.ValueKind == JsonValueKind.String):
                env = [.. Env.Value.EnumerateObject().Select(p => new EnvVar(p.Name, p.Value.GetString()!))];
                break;
            case JsonValueKind.Array when Env.Value.EnumerateArray().All(IsKeyValue):
                env = [.. Env.Value.EnumerateArray().Select(e => new EnvVar(e.GetProperty("key").GetString()!, e.GetProperty("value").GetString()!))];
                break;
            default:
                errors.Add("env", "must be an object of string values or an array of {\"key\": string, \"value\": string}");
                break;
        }

        string? workingDir = null;
        switch (WorkingDir?.ValueKind)
        {
            case null or JsonValueKind.Null or JsonValueKind.Undefined:
                break;
            case JsonValueKind.String:
                workingDir = WorkingDir.Value.GetString();
                break;
            default:
                errors.Add("working_dir", "must be a string");
                break;
        }

        errors.ThrowIfAny();
        return new SubmitCommandRequest { Script = script, Argv = argv, TimeoutSeconds = timeout, Env = env, WorkingDir = workingDir };
    }

    private static bool IsKeyValue(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object
        && e.TryGetProperty("key", out var key) && key.ValueKind == JsonValueKind.String
        && e.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.String;
}
