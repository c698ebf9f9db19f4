using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Core.Containers;
using Berth.Core.Secrets;

namespace Berth.Data;

/// <summary>
/// The JSON text of configuration columns. Secret env values are encrypted on the way in and
/// decrypted on the way out, so the database file never holds one in clear.
/// </summary>
internal sealed class ConfigCodec(ISecretProtector protector)
{
    public string SerializeEnv(IReadOnlyList<EnvVar> env) =>
        JsonSerializer.Serialize(Seal(env), StoreJson.Default.IReadOnlyListEnvVar);

    public IReadOnlyList<EnvVar> DeserializeEnv(string json) =>
        Open(JsonSerializer.Deserialize(json, StoreJson.Default.IReadOnlyListEnvVar) ?? []);

    public string? SerializeConfig(ContainerConfig? config) =>
        config is null ? null : JsonSerializer.Serialize(config with { Env = Seal(config.Env) }, StoreJson.Default.ContainerConfig);

    public ContainerConfig? DeserializeConfig(string? json)
    {
        if (json is null || JsonSerializer.Deserialize(json, StoreJson.Default.ContainerConfig) is not { } config)
        {
            return null;
        }
        return config with { Env = Open(config.Env) };
    }

    private List<EnvVar> Seal(IReadOnlyList<EnvVar> env) =>
        [.. env.Select(e => e.Secret ? e with { Value = protector.Protect(e.Value) } : e)];

    private List<EnvVar> Open(IReadOnlyList<EnvVar> env) =>
        [.. env.Select(e => e.Secret ? e with { Value = protector.Unprotect(e.Value) } : e)];
}

/// <summary>Source-generated JSON of the stored columns, so mapping a page stays cheap.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(IReadOnlyList<EnvVar>))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(HealthCheck))]
[JsonSerializable(typeof(IReadOnlyList<VolumeMount>))]
[JsonSerializable(typeof(ContainerConfig))]
[JsonSerializable(typeof(IReadOnlyList<Berth.Core.Deployments.DeploymentStep>))]
internal sealed partial class StoreJson : JsonSerializerContext
{
    /// <summary>Env as given, for command runs (they carry no secret flag; see <see cref="ConfigCodec"/> for containers).</summary>
    public static string SerializeEnv(IReadOnlyList<EnvVar> env) =>
        JsonSerializer.Serialize(env, Default.IReadOnlyListEnvVar);

    public static IReadOnlyList<EnvVar> DeserializeEnv(string json) =>
        JsonSerializer.Deserialize(json, Default.IReadOnlyListEnvVar) ?? [];

    public static string? SerializeCommand(IReadOnlyList<string>? command) =>
        command is null ? null : JsonSerializer.Serialize(command, Default.IReadOnlyListString);

    public static IReadOnlyList<string>? DeserializeCommand(string? json) =>
        json is null ? null : JsonSerializer.Deserialize(json, Default.IReadOnlyListString);

    public static string SerializeStrings(IReadOnlyList<string> values) =>
        JsonSerializer.Serialize(values, Default.IReadOnlyListString);

    public static IReadOnlyList<string> DeserializeStrings(string json) =>
        JsonSerializer.Deserialize(json, Default.IReadOnlyListString) ?? [];

    public static string? SerializeHealthCheck(HealthCheck? check) =>
        check is null ? null : JsonSerializer.Serialize(check, Default.HealthCheck);

    public static HealthCheck? DeserializeHealthCheck(string? json) =>
        json is null ? null : JsonSerializer.Deserialize(json, Default.HealthCheck);

    public static string SerializeVolumes(IReadOnlyList<VolumeMount> volumes) =>
        JsonSerializer.Serialize(volumes, Default.IReadOnlyListVolumeMount);

    public static IReadOnlyList<VolumeMount> DeserializeVolumes(string json) =>
        JsonSerializer.Deserialize(json, Default.IReadOnlyListVolumeMount) ?? [];

    public static string SerializeSteps(IReadOnlyList<Berth.Core.Deployments.DeploymentStep> steps) =>
        JsonSerializer.Serialize(steps, Default.IReadOnlyListDeploymentStep);

    public static IReadOnlyList<Berth.Core.Deployments.DeploymentStep> DeserializeSteps(string json) =>
        JsonSerializer.Deserialize(json, Default.IReadOnlyListDeploymentStep) ?? [];
}
