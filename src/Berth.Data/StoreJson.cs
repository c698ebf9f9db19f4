using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Core.Containers;

namespace Berth.Data;

/// <summary>The JSON text of the Env and Command columns, source-generated so mapping a page stays cheap.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(IReadOnlyList<EnvVar>))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class StoreJson : JsonSerializerContext
{
    public static string SerializeEnv(IReadOnlyList<EnvVar> env) =>
        JsonSerializer.Serialize(env, Default.IReadOnlyListEnvVar);

    public static IReadOnlyList<EnvVar> DeserializeEnv(string json) =>
        JsonSerializer.Deserialize(json, Default.IReadOnlyListEnvVar) ?? [];

    public static string? SerializeCommand(IReadOnlyList<string>? command) =>
        command is null ? null : JsonSerializer.Serialize(command, Default.IReadOnlyListString);

    public static IReadOnlyList<string>? DeserializeCommand(string? json) =>
        json is null ? null : JsonSerializer.Deserialize(json, Default.IReadOnlyListString);
}
