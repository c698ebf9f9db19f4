namespace Berth.Docker;

/// <summary>How Berth reaches one Docker host. Bound from the <c>Berth:Docker</c> configuration section.</summary>
public sealed class DockerEngineOptions
{
    public const string Section = "Berth:Docker";

    internal const string DefaultEndpoint = "unix:///var/run/docker.sock";

    /// <summary>
    /// The engine's address (<c>unix:///path</c> or <c>tcp://host:port</c>). When empty: the
    /// <c>DOCKER_HOST</c> environment variable, else the local default socket.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>
    /// Names this Berth installation on the engine. Every replica is labelled with it, and Berth never
    /// looks at or touches a replica labelled with another instance.
    /// </summary>
    public required string InstanceId { get; set; }

    /// <summary>The configured endpoint, else <c>DOCKER_HOST</c>, else the local default socket.</summary>
    internal static string ResolveEndpoint(string? configured, string? dockerHost) =>
        !string.IsNullOrWhiteSpace(configured) ? configured.Trim()
        : !string.IsNullOrWhiteSpace(dockerHost) ? dockerHost.Trim()
        : DefaultEndpoint;
}
